package io.throughline.widget;

import io.throughline.agent.Tokens;
import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboxContext;
import io.throughline.connector.InvalidConfig;
import io.throughline.connector.ProvisionRequest;
import io.throughline.connector.Provisioning;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The {@code widget} inbox kind: a website chat. Built into the server (it needs the visitor store and the event
 * feed), so it is registered by the bootstrap rather than found through ServiceLoader.
 *
 * <p>Creating one mints the public {@code siteKey} (it is in every page's snippet, so it stays readable in the
 * config) and the {@code identitySecret} that signs logged-in users (a secret: shown once, redacted after).
 */
public final class WidgetConnector implements ChannelConnector {

    public static final String KIND = "widget";
    private static final Pattern SITE_KEY = Pattern.compile("[A-Za-z0-9_-]{16,100}");

    private final SiteDirectory sites;
    private final Supplier<Sql> sql;

    public WidgetConnector(SiteDirectory sites, Supplier<Sql> sql) {
        this.sites = sites;
        this.sql = sql;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public List<String> validate(JsonObject config) {
        List<String> problems = new ArrayList<>(WidgetSettings.parse(config).problems());
        Object key = config.getValue(WidgetSettings.SITE_KEY);
        if (key instanceof String text && !SITE_KEY.matcher(text).matches()) {
            problems.add("config.siteKey: must be 16 to 100 letters, digits, '-' or '_' (leave it out to have one"
                    + " minted)");
        }
        return problems;
    }

    @Override
    public Set<String> secretFields() {
        return Set.of(WidgetSettings.IDENTITY_SECRET);
    }

    @Override
    public Provisioning provision(ProvisionRequest request) throws InvalidConfig {
        JsonObject config = request.config().copy();
        Map<String, String> minted = new LinkedHashMap<>();
        String previousKey = request.previous() == null ? null
                : request.previous().getString(WidgetSettings.SITE_KEY);
        String given = config.getString(WidgetSettings.SITE_KEY);
        if (previousKey != null) {
            if (given != null && !given.equals(previousKey)) {
                throw new InvalidConfig(List.of("config.siteKey: cannot be changed: it is in every page's snippet;"
                        + " create a new widget inbox for a new key"));
            }
            config.put(WidgetSettings.SITE_KEY, previousKey);
        } else {
            String key = given != null ? given : "tlw_" + Tokens.random(18);
            // A key stays with its workspace after its inbox is deleted: pages may still embed it, and another
            // workspace taking it over would receive their visitors' chats.
            for (Row holder : sql.get().rows("SELECT workspace_id, deleted_at FROM inboxes WHERE kind = 'widget'"
                    + " AND config ->> 'siteKey' = $1", key)) {
                if (holder.getValue("deleted_at") == null) {
                    throw new InvalidConfig(List.of("config.siteKey: another widget inbox already uses this site"
                            + " key"));
                }
                if (holder.getLong("workspace_id") != request.workspaceId()) {
                    throw new InvalidConfig(List.of("config.siteKey: this site key belonged to another workspace;"
                            + " leave siteKey out to get a new one"));
                }
            }
            config.put(WidgetSettings.SITE_KEY, key);
            minted.put("siteKey", key);
            minted.put("snippet", snippet(request.publicUrl(), key));
        }
        if (config.getString(WidgetSettings.IDENTITY_SECRET) == null) {
            String secret = "tlwid_" + Tokens.random(32);
            config.put(WidgetSettings.IDENTITY_SECRET, secret);
            minted.put(WidgetSettings.IDENTITY_SECRET, secret);
        }
        return new Provisioning(config, minted);
    }

    @Override
    public Optional<IdentityKind> reaches() {
        return Optional.of(IdentityKind.WIDGET_VISITOR);
    }

    @Override
    public ChannelInbox open(InboxContext context) {
        WidgetSettings.Parsed parsed = WidgetSettings.parse(context.config());
        if (parsed.settings() == null) {
            throw new IllegalStateException("stored widget config is invalid: " + parsed.problems());
        }
        return new WidgetInbox(new Site(context.inbox(), parsed.settings()), sites, sql);
    }

    /** The tag a site owner pastes into their pages. */
    public static String snippet(URI publicUrl, String siteKey) {
        return "<script src=\"" + publicUrl + "/widget.js\" data-site-key=\"" + siteKey + "\" async></script>";
    }
}
