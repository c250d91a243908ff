package io.throughline.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** A plain HTTP client for the agent API, as curl or another system would call it. */
public final class ApiClient {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String baseUrl;
    private String token;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public ApiClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    /** A response: status, headers and the raw body. */
    public record Response(int status, HttpHeaders headers, String body) {
        public JsonObject json() {
            return new JsonObject(body);
        }

        public JsonArray array() {
            return new JsonArray(body);
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        /** Asserts the status, showing the body when it differs. */
        public Response expect(int expected) {
            assertThat(status).as("HTTP status; body: %s", body).isEqualTo(expected);
            return this;
        }
    }

    public ApiClient login(String email, String password) {
        Response response = post("/api/v1/auth/login", new JsonObject().put("email", email).put("password", password))
                .expect(200);
        this.token = response.json().getString("token");
        return this;
    }

    public ApiClient withToken(String value) {
        this.token = value;
        return this;
    }

    public ApiClient withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public String token() {
        return token;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public Response get(String path) {
        return send(builder(path).GET());
    }

    /** A GET whose body is read as bytes (an attachment download). */
    public byte[] bytes(String path) {
        try {
            HttpResponse<byte[]> response = HTTP.send(builder(path).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(response.statusCode()).as("HTTP status of %s", path).isEqualTo(200);
            return response.body();
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Response delete(String path) {
        return send(builder(path).DELETE());
    }

    public Response post(String path, JsonObject body) {
        return post(path, body, Map.of());
    }

    public Response post(String path, JsonObject body, Map<String, String> extra) {
        HttpRequest.Builder builder = builder(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : body.encode()));
        extra.forEach(builder::header);
        return send(builder);
    }

    public Response patch(String path, JsonObject body) {
        return patch(path, body, Map.of());
    }

    public Response patch(String path, JsonObject body, Map<String, String> extra) {
        HttpRequest.Builder builder = builder(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body.encode()));
        extra.forEach(builder::header);
        return send(builder);
    }

    /** A request with a raw body and content type, for malformed input. */
    /** A multipart/form-data POST of one file in the field {@code file}, as a browser uploads it. */
    public Response upload(String path, String filename, String contentType, byte[] content) {
        Multipart body = Multipart.of(filename, contentType, content);
        return raw("POST", path, body.contentType(), body.bytes());
    }

    /** One file as a multipart/form-data body, and the Content-Type naming its boundary. */
    public record Multipart(String contentType, byte[] bytes) {
        public static Multipart of(String filename, String contentType, byte[] content) {
            String boundary = "----throughline" + UUID.randomUUID();
            byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                    + filename + "\"\r\nContent-Type: " + contentType + "\r\n\r\n").getBytes(StandardCharsets.UTF_8);
            byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
            byte[] body = new byte[head.length + content.length + tail.length];
            System.arraycopy(head, 0, body, 0, head.length);
            System.arraycopy(content, 0, body, head.length, content.length);
            System.arraycopy(tail, 0, body, head.length + content.length, tail.length);
            return new Multipart("multipart/form-data; boundary=" + boundary, body);
        }
    }

    public Response raw(String method, String path, String contentType, byte[] body) {
        HttpRequest.Builder builder = builder(path).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        return send(builder);
    }

    private HttpRequest.Builder builder(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        headers.forEach(builder::header);
        return builder;
    }

    private static Response send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
