package io.throughline.http;

import io.throughline.failure.Unauthorized;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Predicate;

/**
 * Runs before an upload route's body handler (a route of its own: Vert.x wants body handlers first). A request
 * without any credentials is refused before a byte of its body is written to disk; the full check of those
 * credentials still happens after the body, in the endpoint. Whatever the body handler wrote is deleted when the
 * exchange ends however it ends: the body handler alone deletes only after a response was written, so an upload
 * whose client hung up mid-way, or before the answer, left its file behind.
 */
public final class UploadGuard {

    private UploadGuard() {
    }

    /** A guard that asks only for credentials to be present ({@code missing} says which, in the 401). */
    public static Handler<RoutingContext> requiring(Predicate<HttpServerRequest> credentials, String missing) {
        return rc -> {
            if (!credentials.test(rc.request())) {
                rc.fail(new Unauthorized(missing));
                return;
            }
            rc.addEndHandler(done -> {
                for (FileUpload upload : rc.fileUploads()) {
                    // Already gone when the body handler deleted it first: nothing to do.
                    rc.vertx().fileSystem().delete(upload.uploadedFileName());
                }
            });
            rc.next();
        };
    }

    /** Whether a request carries a bearer token. */
    public static boolean hasBearer(HttpServerRequest request) {
        return BearerToken.of(request.getHeader("Authorization")).isPresent();
    }
}
