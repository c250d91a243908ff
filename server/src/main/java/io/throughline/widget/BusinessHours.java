package io.throughline.widget;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When the team answers chats, in the site's time zone:
 * {@code {timezone: "Europe/Kyiv", weekly: {mon: ["09:00-13:00", "14:00-18:00"], sat: []}}}. A day left out is
 * closed; {@code 24:00} ends a range at midnight. Outside these hours the widget shows the offline message and
 * asks for an email, so the answer can follow the visitor there.
 */
public record BusinessHours(ZoneId zone, Map<DayOfWeek, List<Range>> weekly) {

    private static final Pattern RANGE = Pattern.compile("(\\d{2}):(\\d{2})-(\\d{2}):(\\d{2})");
    private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

    /** One opening span of a day, end exclusive; {@code endMinute} may be 1440 (midnight). */
    public record Range(int startMinute, int endMinute) {
        boolean contains(int minute) {
            return minute >= startMinute && minute < endMinute;
        }
    }

    /** Whether the team is available at this instant. */
    public boolean isOpen(Instant at) {
        ZonedDateTime local = at.atZone(zone);
        int minute = local.getHour() * 60 + local.getMinute();
        return weekly.getOrDefault(local.getDayOfWeek(), List.of()).stream().anyMatch(r -> r.contains(minute));
    }

    /** Parses the config object, adding one problem per mistake (each naming its field) to {@code problems}. */
    public static BusinessHours parse(JsonObject json, String field, List<String> problems) {
        int before = problems.size();
        ZoneId zone = ZoneId.of("UTC");
        Object tz = json.getValue("timezone");
        if (!(tz instanceof String text) || text.isBlank()) {
            problems.add(field + ".timezone: is required, e.g. Europe/Kyiv");
        } else {
            try {
                zone = ZoneId.of(text);
            } catch (DateTimeException e) {
                problems.add(field + ".timezone: '" + text + "' is not a time zone such as Europe/Warsaw");
            }
        }
        Map<DayOfWeek, List<Range>> weekly = new EnumMap<>(DayOfWeek.class);
        Object days = json.getValue("weekly");
        if (!(days instanceof JsonObject week)) {
            problems.add(field + ".weekly: is required: {mon: [\"09:00-18:00\"], ...}");
        } else {
            for (String day : week.fieldNames()) {
                String where = field + ".weekly." + day;
                int index = DAYS.indexOf(day.toLowerCase(Locale.ROOT));
                if (index < 0) {
                    problems.add(where + ": unknown day (use mon, tue, wed, thu, fri, sat, sun)");
                    continue;
                }
                if (!(week.getValue(day) instanceof JsonArray spans)) {
                    problems.add(where + ": must be a list of \"HH:MM-HH:MM\" ranges");
                    continue;
                }
                List<Range> ranges = new ArrayList<>();
                for (Object span : spans) {
                    Range range = span instanceof String text ? range(text) : null;
                    if (range == null) {
                        problems.add(where + ": '" + span + "' is not a range such as \"09:00-18:00\"");
                    } else {
                        ranges.add(range);
                    }
                }
                weekly.put(DayOfWeek.of(index + 1), List.copyOf(ranges));
            }
        }
        Object extra = json.fieldNames().stream().filter(n -> !n.equals("timezone") && !n.equals("weekly"))
                .findFirst().orElse(null);
        if (extra != null) {
            problems.add(field + "." + extra + ": unknown field (businessHours has timezone and weekly)");
        }
        return problems.size() == before ? new BusinessHours(zone, weekly) : null;
    }

    private static Range range(String text) {
        Matcher m = RANGE.matcher(text.strip());
        if (!m.matches()) {
            return null;
        }
        int start = minutes(m.group(1), m.group(2));
        int end = minutes(m.group(3), m.group(4));
        if (start < 0 || end < 0 || end <= start || start >= 1440) {
            return null;
        }
        return new Range(start, end);
    }

    private static int minutes(String hours, String minutes) {
        int h = Integer.parseInt(hours);
        int m = Integer.parseInt(minutes);
        if (m > 59 || h > 24 || (h == 24 && m != 0)) {
            return -1;
        }
        return h * 60 + m;
    }
}
