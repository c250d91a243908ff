package io.throughline.connector.email;

import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.ConnectionCheck;
import io.throughline.connector.ConnectorEnvironment;
import io.throughline.connector.DomainClaims;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboxContext;
import io.throughline.connector.ProvisionRequest;
import io.throughline.connector.Provisioning;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code email} inbox kind, found through ServiceLoader. See {@link EmailConfig} for its config. Email reaches
 * any contact with an address, and is the fallback for chat replies a visitor missed.
 */
public final class EmailConnector implements ChannelConnector {

    public static final String KIND = "email";

    private static final Logger log = LoggerFactory.getLogger(EmailConnector.class);

    private final EmailSettings settings = new EmailSettings();
    /**
     * How long the listener answers {@code 451} (try again later) rather than {@code 550} for the address of an
     * inbox that closed: an inbox closes and opens again on every save of its settings, and a mail refused for good
     * in between would be lost. Past it, a disabled or deleted inbox's address is refused for good.
     */
    static final Duration CLOSED_GRACE = Duration.ofMinutes(5);

    private final Map<Long, EmailInbox> open = new ConcurrentHashMap<>();
    private final Map<Long, Closed> closed = new ConcurrentHashMap<>();
    private volatile SmtpListener listener;

    /** An inbox that closed on this node, and when. */
    private record Closed(EmailInbox inbox, long atNanos) {
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public List<String> validate(JsonObject config) {
        return EmailConfig.problems(config);
    }

    @Override
    public Set<String> secretFields() {
        return Set.of("imap.password", "imap.oauth2Token", "smtp.password", "smtp.oauth2Token",
                "oauth2.clientSecret", "oauth2.refreshToken");
    }

    /**
     * The refresh token a provider rotated stands for the one configured: with that one replaced, or OAuth2
     * removed, it is a live credential nothing uses (read only while the configured one is the same).
     */
    @Override
    public Set<String> checkpointsEndedBy(JsonObject before, JsonObject after) {
        JsonObject was = before.getJsonObject("oauth2");
        JsonObject now = after.getJsonObject("oauth2");
        boolean same = was == null || now != null && Objects.equals(was.getValue("refreshToken"),
                now.getValue("refreshToken"));
        return same ? Set.of() : Set.of(OAuth2Tokens.CHECKPOINT);
    }

    @Override
    public Map<String, Set<String>> secretDestinations() {
        Set<String> imap = Set.of("imap.host", "imap.port", "imap.security", "imap.username");
        Set<String> smtp = Set.of("smtp.host", "smtp.port", "smtp.security", "smtp.username");
        // The OAuth2 client's secrets go to the token URL, and the access token they fetch to the IMAP and SMTP
        // servers of any side that has no password or token of its own (MailLogin).
        Set<String> tokens = new HashSet<>(Set.of("oauth2.tokenUrl"));
        tokens.addAll(imap);
        tokens.addAll(smtp);
        return Map.of("imap.password", imap, "imap.oauth2Token", imap, "smtp.password", smtp,
                "smtp.oauth2Token", smtp, "oauth2.clientSecret", Set.copyOf(tokens),
                "oauth2.refreshToken", Set.copyOf(tokens));
    }

    /**
     * Stores the address and reply domain as they are compared (trimmed, lower case): the database keeps each one to
     * a single inbox, and a padded copy (" support@example.com") would otherwise slip past that check while routing
     * exactly like the original, letting an inbox in another workspace take its mail.
     */
    @Override
    public Provisioning provision(ProvisionRequest request) {
        JsonObject config = request.config().copy();
        for (String field : List.of("address", "replyDomain")) {
            if (config.getValue(field) instanceof String text) {
                config.put(field, text.strip().toLowerCase(Locale.ROOT));
            }
        }
        return new Provisioning(config, Map.of());
    }

    /** The IMAP and SMTP servers, and the OAuth2 token endpoint. */
    @Override
    public Map<String, String> remoteHosts(JsonObject config) {
        EmailConfig parsed = EmailConfig.of(config);
        Map<String, String> hosts = new LinkedHashMap<>();
        if (parsed.imap() != null) {
            hosts.put("config.imap.host", parsed.imap().host());
        }
        hosts.put("config.smtp.host", parsed.smtp().host());
        if (parsed.oauth2() != null && parsed.oauth2().tokenUrl().getHost() != null) {
            hosts.put("config.oauth2.tokenUrl", parsed.oauth2().tokenUrl().getHost());
        }
        return hosts;
    }

    /**
     * The address's domain and the reply domain. Mail for a reply domain always comes through the SMTP listener, and
     * so does mail for the address of an inbox without IMAP; an inbox with IMAP reads its own mailbox, so two
     * workspaces may each read a mailbox of one provider's domain (two Gmail accounts) as long as neither routes it.
     * None while the server runs no listener.
     */
    @Override
    public DomainClaims domainClaims(JsonObject config) {
        if (!settings.listenerEnabled()) {
            // No listener, no mail routed by domain: nothing to keep to one workspace.
            return DomainClaims.NONE;
        }
        EmailConfig parsed = EmailConfig.of(config);
        String domain = parsed.address().substring(parsed.address().lastIndexOf('@') + 1);
        Set<String> routed = new HashSet<>();
        if (parsed.imap() == null) {
            routed.add(domain);
        }
        Set<String> named = new HashSet<>(Set.of(domain));
        if (parsed.replyDomain() != null) {
            routed.add(parsed.replyDomain());
            named.add(parsed.replyDomain());
        }
        return new DomainClaims(routed, named);
    }

    @Override
    public Optional<IdentityKind> reaches() {
        return Optional.of(IdentityKind.EMAIL);
    }

    @Override
    public Optional<Duration> offlineFallbackAfter(JsonObject config) {
        return Optional.of(EmailConfig.of(config).offlineEmailAfter());
    }

    /** Runs on a platform thread: Jakarta Mail would pin the caller's virtual-thread carrier on JDK 21. */
    @Override
    public List<ConnectionCheck> testConnection(JsonObject config) {
        EmailConfig parsed = EmailConfig.of(config);
        ExecutorService thread = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon()
                .name("email-connection-test").factory());
        try {
            Future<List<ConnectionCheck>> checks = thread.submit(() -> ConnectionTest.run(parsed));
            return checks.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of(new ConnectionCheck("test", false, "interrupted"));
        } catch (ExecutionException e) {
            return List.of(new ConnectionCheck("test", false, MailParser.describe(e.getCause())));
        } finally {
            thread.shutdownNow();
        }
    }

    @Override
    public ChannelInbox open(InboxContext context) {
        long id = context.inbox().id();
        EmailInbox[] opened = new EmailInbox[1];
        opened[0] = new EmailInbox(context, settings, () -> {
            // Only this instance: the inbox may have opened again already (its next version).
            if (open.remove(id, opened[0])) {
                closed.put(id, new Closed(opened[0], System.nanoTime()));
            }
        });
        open.put(id, opened[0]);
        closed.remove(id);
        return opened[0];
    }

    @Override
    public void start(ConnectorEnvironment environment) throws Exception {
        settings.update(environment.settings());
        if (settings.listenerEnabled()) {
            SmtpListener started = new SmtpListener(settings, this::inboxFor);
            started.start();
            listener = started;
        }
    }

    @Override
    public void stop() {
        SmtpListener running = listener;
        listener = null;
        if (running != null) {
            running.stop();
        }
    }

    /**
     * The open inbox that takes mail for a recipient. When several answer for it (configs stored before addresses
     * were normalized), the mail is refused for now rather than given to one of them: it may belong to another
     * workspace.
     */
    Optional<EmailInbox> inboxFor(String recipient) {
        List<EmailInbox> matching = open.values().stream().filter(inbox -> inbox.accepts(recipient))
                .sorted(Comparator.comparingLong(EmailInbox::id)).toList();
        if (matching.size() > 1) {
            log.error("several email inboxes take mail for one address, refusing it until one is changed"
                    + " recipient={} inboxes={}", recipient, matching.stream().map(EmailInbox::id).toList());
            throw new TryLater("several inboxes take mail for " + recipient);
        }
        if (matching.isEmpty()) {
            long now = System.nanoTime();
            closed.values().removeIf(gone -> now - gone.atNanos() > CLOSED_GRACE.toNanos());
            Optional<Closed> reopening = closed.values().stream().filter(gone -> gone.inbox().accepts(recipient))
                    .findFirst();
            if (reopening.isPresent()) {
                log.info("smtp recipient of an inbox closed moments ago, asked to try later recipient={} inbox={}",
                        recipient, reopening.get().inbox().id());
                throw new TryLater("the inbox for " + recipient + " is closed for now (being saved, or disabled)");
            }
        }
        return matching.stream().findFirst();
    }

    /**
     * The mail must wait at its sender (a temporary refusal): two inboxes answer for its address, or its inbox
     * closed moments ago (see {@link #CLOSED_GRACE}).
     */
    static final class TryLater extends RuntimeException {
        TryLater(String reason) {
            super(reason);
        }
    }
}
