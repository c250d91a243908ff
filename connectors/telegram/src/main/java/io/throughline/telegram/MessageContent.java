package io.throughline.telegram;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.telegram.telegrambots.meta.api.objects.Audio;
import org.telegram.telegrambots.meta.api.objects.Contact;
import org.telegram.telegrambots.meta.api.objects.Dice;
import org.telegram.telegrambots.meta.api.objects.Document;
import org.telegram.telegrambots.meta.api.objects.MessageEntity;
import org.telegram.telegrambots.meta.api.objects.Venue;
import org.telegram.telegrambots.meta.api.objects.Video;
import org.telegram.telegrambots.meta.api.objects.VideoNote;
import org.telegram.telegrambots.meta.api.objects.Voice;
import org.telegram.telegrambots.meta.api.objects.games.Animation;
import org.telegram.telegrambots.meta.api.objects.location.Location;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.api.objects.messageorigin.MessageOrigin;
import org.telegram.telegrambots.meta.api.objects.messageorigin.MessageOriginChannel;
import org.telegram.telegrambots.meta.api.objects.messageorigin.MessageOriginChat;
import org.telegram.telegrambots.meta.api.objects.messageorigin.MessageOriginHiddenUser;
import org.telegram.telegrambots.meta.api.objects.messageorigin.MessageOriginUser;
import org.telegram.telegrambots.meta.api.objects.photo.PhotoSize;
import org.telegram.telegrambots.meta.api.objects.polls.Poll;
import org.telegram.telegrambots.meta.api.objects.stickers.Sticker;

/**
 * What a customer's Telegram message says, as agents should read it: the text or caption, then a line for each
 * thing that is not plain text (a sticker, a location, a shared contact, a poll), and the files to fetch. A pure
 * function of the message.
 *
 * @param text the body to store (may be empty when the message is only a file)
 * @param html the same with the customer's formatting (bold, links behind words), or null when it has none
 * @param files the files to fetch into the attachment store, in order
 * @param sharedPhone the phone number of a contact the sender shared about themselves (Telegram's "share my
 *     contact" button), or null; only then is it proven
 * @param substantive false for service messages (a pinned message, a member joining) that carry nothing to answer
 */
record MessageContent(String text, String html, List<FileRef> files, String sharedPhone, boolean substantive) {

    /** Control characters (C0 and C1), the line and paragraph separators, and the Unicode bidirectional controls. */
    private static final Pattern UNSHOWN = Pattern.compile("[\\p{Cc}\u2028\u2029\u061C\u200E\u200F\u202A-\u202E"
            + "\u2066-\u2069]");

    /** What Telegram sends as phone_number: international digits, with or without the plus. */
    private static final Pattern PHONE = Pattern.compile("\\+?\\d{5,15}");

    /**
     * @param maxFileBytes the largest file the inbox fetches: of a photo's sizes, the largest that fits is taken
     */
    static MessageContent of(Message message, long maxFileBytes) {
        List<String> lines = new ArrayList<>();
        List<FileRef> files = new ArrayList<>();
        String body = message.getText() != null ? message.getText() : message.getCaption();
        if (body != null && !body.isBlank()) {
            lines.add(body);
        }
        String sharedPhone = null;
        // A caption alone says nothing of what it captions: paid media under one would show as the words only.
        boolean known = message.getText() != null;

        if (message.getPhoto() != null && !message.getPhoto().isEmpty()) {
            files.add(photo(message.getPhoto(), maxFileBytes));
            known = true;
        }
        if (message.getAnimation() != null) {
            // Telegram also sets "document" on animations for old clients: fetch the file once.
            files.add(animation(message.getAnimation()));
            known = true;
        } else if (message.getDocument() != null) {
            files.add(document(message.getDocument()));
            known = true;
        }
        if (message.getVoice() != null) {
            files.add(voice(message.getVoice()));
            known = true;
        }
        if (message.getAudio() != null) {
            files.add(audio(message.getAudio()));
            known = true;
        }
        if (message.getVideo() != null) {
            files.add(video(message.getVideo()));
            known = true;
        }
        if (message.getVideoNote() != null) {
            files.add(videoNote(message.getVideoNote()));
            known = true;
        }
        if (message.getSticker() != null) {
            Sticker sticker = message.getSticker();
            lines.add("[Sticker" + (sticker.getEmoji() == null ? "" : " " + sticker.getEmoji()) + "]");
            if (!Boolean.TRUE.equals(sticker.getIsAnimated()) && !Boolean.TRUE.equals(sticker.getIsVideo())) {
                // Static stickers are WebP images a browser shows; animated (TGS) and video ones it cannot.
                files.add(new FileRef(sticker.getFileId(), sticker.getFileUniqueId(), size(sticker.getFileSize()),
                        "sticker-" + sticker.getFileUniqueId() + ".webp", "image/webp", "sticker"));
            }
            known = true;
        }
        if (message.getVenue() != null) {
            lines.add(venue(message.getVenue()));
            known = true;
        } else if (message.getLocation() != null) {
            lines.add(location(message.getLocation()));
            known = true;
        }
        if (message.getContact() != null) {
            Contact contact = message.getContact();
            lines.add(contact(contact));
            Long from = message.getFrom() == null ? null : message.getFrom().getId();
            if (contact.getPhoneNumber() != null && contact.getUserId() != null && contact.getUserId().equals(from)
                    && PHONE.matcher(contact.getPhoneNumber().strip()).matches()) {
                // Only a contact card of the sender themselves proves the number (the "share my phone number"
                // button); anyone can forward someone else's card.
                sharedPhone = contact.getPhoneNumber();
            }
            known = true;
        }
        if (message.getPoll() != null) {
            lines.add(poll(message.getPoll()));
            known = true;
        }
        if (message.getDice() != null) {
            Dice dice = message.getDice();
            lines.add("[Dice " + dice.getEmoji() + " " + dice.getValue() + "]");
            known = true;
        }
        if (!known && !service(message)) {
            // Something newer than this connector (a story, a giveaway, a checklist): say so rather than drop it.
            lines.add("[Unsupported Telegram message: open the chat in Telegram to see it]");
            known = true;
        }
        String html = EntityHtml.render(body, entities(message));
        if (html != null && !lines.isEmpty() && lines.getFirst().equals(body)) {
            StringBuilder withLines = new StringBuilder(html);
            lines.subList(1, lines.size()).forEach(line -> withLines.append("<br>").append(TelegramHtml.escape(line)
                    .replace("\n", "<br>")));
            html = withLines.toString();
        } else {
            html = null;
        }
        String forwardedFrom = forwardedFrom(message);
        if (forwardedFrom != null && known) {
            // Someone else's words, passed on: an agent must not read them as the customer's own.
            String line = "[Forwarded from " + forwardedFrom + "]";
            lines.addFirst(line);
            html = html == null ? null : TelegramHtml.escape(line) + "<br>" + html;
        }
        return new MessageContent(String.join("\n", lines), html, files, sharedPhone, known);
    }

    /**
     * Who wrote a forwarded message, as Telegram shows it ("Forwarded from ..."): a user's name, the name a user
     * who hides their account forwards under, or a group's or channel's title (with the author's signature); null
     * when the message is not forwarded.
     */
    static String forwardedFrom(Message message) {
        MessageOrigin origin = message.getForwardOrigin();
        String name = switch (origin) {
            case null -> null;
            case MessageOriginUser user -> user.getSenderUser() == null ? null
                    : String.join(" ", Stream.of(user.getSenderUser().getFirstName(),
                            user.getSenderUser().getLastName()).filter(n -> n != null && !n.isBlank()).toList());
            case MessageOriginHiddenUser hidden -> hidden.getSenderUserName();
            case MessageOriginChat chat -> signed(chat.getSenderChat() == null ? null : chat.getSenderChat().getTitle(),
                    chat.getAuthorSignature());
            case MessageOriginChannel channel -> signed(channel.getChat() == null ? null
                    : channel.getChat().getTitle(), channel.getAuthorSignature());
            default -> null;
        };
        if (origin != null && (name == null || name.isBlank())) {
            return "someone else";
        }
        return name == null ? null : name.strip();
    }

    private static String signed(String title, String signature) {
        if (signature == null || signature.isBlank()) {
            return title;
        }
        return title == null ? signature : title + " (" + signature + ")";
    }

    /**
     * Telegram's service messages: something happened in the chat (a member came, a timer changed, the user logged
     * in on the company's site with Telegram), nobody wrote anything. None of them opens or reopens a conversation.
     */
    static boolean service(Message message) {
        return message.getNewChatMembers() != null && !message.getNewChatMembers().isEmpty()
                || message.getLeftChatMember() != null || message.getPinnedMessage() != null
                || message.getNewChatTitle() != null || message.getNewChatPhoto() != null
                || Boolean.TRUE.equals(message.getDeleteChatPhoto())
                || Boolean.TRUE.equals(message.getGroupchatCreated())
                || Boolean.TRUE.equals(message.getSuperGroupCreated())
                || Boolean.TRUE.equals(message.getChannelChatCreated())
                || message.getMigrateToChatId() != null || message.getMigrateFromChatId() != null
                || message.getConnectedWebsite() != null || message.getWriteAccessAllowed() != null
                || message.getMessageAutoDeleteTimerChanged() != null || message.getChatBackgroundSet() != null
                || message.getProximityAlertTriggered() != null || message.getBoostAdded() != null
                || message.getVideoChatStarted() != null || message.getVideoChatEnded() != null
                || message.getVideoChatScheduled() != null || message.getVideoChatParticipantsInvited() != null
                || message.getForumTopicCreated() != null || message.getForumTopicEdited() != null
                || message.getForumTopicClosed() != null || message.getForumTopicReopened() != null
                || message.getGeneralForumTopicHidden() != null || message.getGeneralForumTopicUnhidden() != null
                || message.getChatOwnerLeft() != null || message.getChatOwnerChanged() != null;
    }

    /**
     * The text's or caption's entities. TelegramBots cuts each entity's text out of the message when asked for
     * them; offsets that do not fit the text would throw, and must not make the message impossible to take in.
     */
    private static List<MessageEntity> entities(Message message) {
        try {
            return message.getText() != null ? message.getEntities() : message.getCaptionEntities();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static FileRef photo(List<PhotoSize> sizes, long maxFileBytes) {
        // Telegram lists the same photo in several resolutions: keep the largest the inbox may fetch, so a photo
        // over the limit still reaches the agent, smaller, rather than as a note. When none fits, the largest
        // becomes the note that says so.
        List<PhotoSize> bySize = sizes.stream()
                .sorted(Comparator.comparingLong((PhotoSize p) -> (long) p.getWidth() * p.getHeight()).reversed())
                .toList();
        PhotoSize largest = bySize.stream()
                .filter(p -> p.getFileSize() == null || p.getFileSize() <= maxFileBytes)
                .findFirst().orElse(bySize.getFirst());
        return new FileRef(largest.getFileId(), largest.getFileUniqueId(), size(largest.getFileSize()),
                "photo-" + largest.getFileUniqueId() + ".jpg", "image/jpeg", "photo");
    }

    private static FileRef document(Document document) {
        return new FileRef(document.getFileId(), document.getFileUniqueId(), size(document.getFileSize()),
                name(document.getFileName(), "document-" + document.getFileUniqueId()),
                type(document.getMimeType(), "application/octet-stream"), "document");
    }

    private static FileRef animation(Animation animation) {
        return new FileRef(animation.getFileId(), animation.getFileUniqueId(), size(animation.getFileSize()),
                name(animation.getFileName(), "animation-" + animation.getFileUniqueId() + ".mp4"),
                type(animation.getMimeType(), "video/mp4"), "animation");
    }

    private static FileRef voice(Voice voice) {
        return new FileRef(voice.getFileId(), voice.getFileUniqueId(), size(voice.getFileSize()),
                "voice-" + voice.getFileUniqueId() + ".ogg", type(voice.getMimeType(), "audio/ogg"), "voice");
    }

    private static FileRef audio(Audio audio) {
        // The title, as the name shown for a file without one, is cleaned as a name is (it also shows in the note
        // for a file left out).
        String title = name(audio.getTitle(), null);
        String fallback = title != null ? title + ".mp3" : "audio-" + audio.getFileUniqueId() + ".mp3";
        return new FileRef(audio.getFileId(), audio.getFileUniqueId(), size(audio.getFileSize()),
                name(audio.getFileName(), fallback), type(audio.getMimeType(), "audio/mpeg"), "audio");
    }

    private static FileRef video(Video video) {
        return new FileRef(video.getFileId(), video.getFileUniqueId(), size(video.getFileSize()),
                name(video.getFileName(), "video-" + video.getFileUniqueId() + ".mp4"),
                type(video.getMimeType(), "video/mp4"), "video");
    }

    private static FileRef videoNote(VideoNote note) {
        return new FileRef(note.getFileId(), note.getFileUniqueId(), size(note.getFileSize()),
                "video-note-" + note.getFileUniqueId() + ".mp4", "video/mp4", "video_note");
    }

    static String location(Location location) {
        String where = coordinates(location);
        String live = location.getLivePeriod() != null ? " (live)" : "";
        return "[Location" + live + ": " + where + " " + mapLink(location) + "]";
    }

    private static String venue(Venue venue) {
        StringBuilder out = new StringBuilder("[Place: ").append(venue.getTitle());
        if (venue.getAddress() != null && !venue.getAddress().isBlank()) {
            out.append(", ").append(venue.getAddress());
        }
        if (venue.getLocation() != null) {
            out.append(" ").append(mapLink(venue.getLocation()));
        }
        return out.append("]").toString();
    }

    private static String contact(Contact contact) {
        String name = String.join(" ", nonBlank(contact.getFirstName(), contact.getLastName()));
        return "[Contact: " + (name.isEmpty() ? "" : name + ", ") + contact.getPhoneNumber() + "]";
    }

    private static String poll(Poll poll) {
        StringBuilder out = new StringBuilder("[Poll: ").append(poll.getQuestion());
        if (poll.getOptions() != null) {
            poll.getOptions().forEach(o -> out.append("\n - ").append(o.getText()));
        }
        return out.append("]").toString();
    }

    private static String coordinates(Location location) {
        return String.format(Locale.ROOT, "%.6f, %.6f", location.getLatitude(), location.getLongitude());
    }

    private static String mapLink(Location location) {
        return String.format(Locale.ROOT, "https://www.openstreetmap.org/?mlat=%.6f&mlon=%.6f#map=17/%.6f/%.6f",
                location.getLatitude(), location.getLongitude(), location.getLatitude(), location.getLongitude());
    }

    private static List<String> nonBlank(String... parts) {
        List<String> out = new ArrayList<>();
        for (String part : parts) {
            if (part != null && !part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }

    private static long size(Number value) {
        return value == null ? -1 : value.longValue();
    }

    /**
     * The file's name as agents see it, in the note for a file left out as much as on the attachment: without
     * control characters and without the bidirectional controls that make "invoice_(U+202E)gpj.exe" read as
     * "invoice_exe.jpg".
     */
    private static String name(String given, String fallback) {
        String name = given == null ? "" : UNSHOWN.matcher(given).replaceAll("").strip();
        return name.isEmpty() ? fallback : name;
    }

    private static String type(String given, String fallback) {
        return given == null || given.isBlank() ? fallback : given;
    }
}
