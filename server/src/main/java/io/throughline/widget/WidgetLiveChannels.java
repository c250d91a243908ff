package io.throughline.widget;

import io.throughline.delivery.LiveChannels;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The website chat as the outbox's live channel (ARCHITECTURE.md rule 4): a widget reply reaches the customer only
 * while they are on the site, so it gets an email fallback that waits for them to stay away. Presence comes from
 * {@link VisitorActivity}, over all the contact's browsers and all nodes.
 */
public final class WidgetLiveChannels implements LiveChannels {

    private final Supplier<VisitorActivity> activity;

    /** {@code activity} is read on use: the widget channel starts after the outbox is wired. */
    public WidgetLiveChannels(Supplier<VisitorActivity> activity) {
        this.activity = activity;
    }

    @Override
    public boolean live(String channel) {
        return WidgetConnector.KIND.equals(channel);
    }

    @Override
    public Optional<Presence> presence(long workspaceId, long contactId, String channel) {
        if (!live(channel)) {
            return Optional.empty();
        }
        return activity.get().contact(workspaceId, contactId)
                .map(status -> new Presence(status.online(), status.lastSeenAt()));
    }
}
