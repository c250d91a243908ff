package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusinessHoursTest {

    private static BusinessHours kyivWeekdays() {
        List<String> problems = new ArrayList<>();
        BusinessHours hours = BusinessHours.parse(new JsonObject().put("timezone", "Europe/Kyiv")
                .put("weekly", new JsonObject()
                        .put("mon", new JsonArray().add("09:00-13:00").add("14:00-18:00"))
                        .put("fri", new JsonArray().add("09:00-24:00"))
                        .put("sat", new JsonArray())), "config.businessHours", problems);
        assertThat(problems).isEmpty();
        return hours;
    }

    @Test
    void openingHoursAreReadInTheSitesTimeZone() {
        BusinessHours hours = kyivWeekdays();
        // Monday 2026-01-05, Kyiv is UTC+2 in winter.
        assertThat(hours.isOpen(Instant.parse("2026-01-05T07:00:00Z"))).as("09:00 Kyiv").isTrue();
        assertThat(hours.isOpen(Instant.parse("2026-01-05T06:59:00Z"))).as("08:59 Kyiv").isFalse();
        assertThat(hours.isOpen(Instant.parse("2026-01-05T11:30:00Z"))).as("lunch at 13:30").isFalse();
        assertThat(hours.isOpen(Instant.parse("2026-01-05T16:00:00Z"))).as("18:00 is closed").isFalse();
        assertThat(hours.isOpen(Instant.parse("2026-01-09T21:59:00Z"))).as("Friday 23:59").isTrue();
        assertThat(hours.isOpen(Instant.parse("2026-01-10T10:00:00Z"))).as("Saturday").isFalse();
        assertThat(hours.isOpen(Instant.parse("2026-01-06T10:00:00Z"))).as("Tuesday is left out").isFalse();
    }

    @Test
    void everyMistakeIsReportedWithItsField() {
        List<String> problems = new ArrayList<>();
        BusinessHours hours = BusinessHours.parse(new JsonObject().put("timezone", "Mars/Olympus")
                .put("weekly", new JsonObject().put("mon", new JsonArray().add("18:00-09:00"))
                        .put("funday", new JsonArray())).put("holidays", true), "config.businessHours", problems);
        assertThat(hours).isNull();
        assertThat(problems).anyMatch(p -> p.startsWith("config.businessHours.timezone"))
                .anyMatch(p -> p.startsWith("config.businessHours.weekly.mon"))
                .anyMatch(p -> p.startsWith("config.businessHours.weekly.funday"))
                .anyMatch(p -> p.startsWith("config.businessHours.holidays"));
    }
}
