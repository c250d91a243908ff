package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.Scratch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The launcher finds a JDK 21+ by itself, and says clearly how to get one when there is none. */
class LauncherIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void anOldJavaOnThePathIsPassedOverForANewerJdk() throws Exception {
        Path fakeOld = fakeJava("17");
        Result result = run(Map.of("JAVA_HOME", fakeOld.toString(), "PATH", fakeOld.resolve("bin") + ":/usr/bin:/bin"),
                "help");
        assertThat(result.status()).as(result.output()).isZero();
        assertThat(result.output()).contains("Usage: ./throughline <command>");
    }

    @Test
    void withNoJdk21AnywhereItExplainsHowToGetOne() throws Exception {
        Path fakeOld = fakeJava("17");
        Result result = run(Map.of("JAVA_HOME", fakeOld.toString(), "PATH", fakeOld.resolve("bin") + ":/usr/bin:/bin",
                "THROUGHLINE_JDK_DIRS", "/nonexistent/*"), "start");
        assertThat(result.status()).isEqualTo(1);
        assertThat(result.output()).contains("needs a JDK 21 or newer").contains("JAVA_HOME")
                .contains("openjdk-21-jdk");
    }

    /** A JAVA_HOME whose java reports the given version, as an old installed JDK would. */
    private static Path fakeJava(String version) throws IOException {
        Path home = Scratch.dir("fake-jdk");
        Path bin = Files.createDirectories(home.resolve("bin"));
        for (String tool : new String[] {"java", "javac"}) {
            Path file = bin.resolve(tool);
            Files.writeString(file, "#!/bin/sh\necho '    java.specification.version = " + version + "' >&2\n");
            file.toFile().setExecutable(true);
        }
        return home;
    }

    private record Result(int status, String output) {
    }

    private static Result run(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder builder = new ProcessBuilder();
        builder.command().add(ROOT.resolve("throughline").toString());
        builder.command().addAll(List.of(args));
        builder.directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().remove("JAVA_HOME");
        builder.environment().putAll(env);
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8));
    }
}
