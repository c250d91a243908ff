package io.throughline.connector;

import java.util.List;

/** A remote service refused an inbox config (a revoked bot token, a wrong password): each problem names its field. */
public final class InvalidConfig extends Exception {

    private final List<String> problems;

    public InvalidConfig(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
