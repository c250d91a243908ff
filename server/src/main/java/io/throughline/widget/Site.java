package io.throughline.widget;

import io.throughline.connector.InboxRef;

/**
 * A widget inbox as the visitor endpoints see it: which inbox, and its validated settings.
 *
 * @param inbox the inbox
 * @param settings its config, with the site key and the identity secret
 */
public record Site(InboxRef inbox, WidgetSettings settings) {

    public long workspaceId() {
        return inbox.workspaceId();
    }

    public String siteKey() {
        return settings.siteKey();
    }
}
