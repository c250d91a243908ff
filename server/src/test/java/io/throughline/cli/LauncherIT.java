package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.Scratch;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
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

    /** Linked from a folder on the PATH (by a link to a link, relative), it runs the checkout it links to. */
    @Test
    void aSymbolicLinkToTheLauncherRunsItsCheckoutFromAnywhere() throws Exception {
        Path bin = Scratch.dir("launcher-bin");
        Path middle = Files.createSymbolicLink(bin.resolve("throughline-link"), ROOT.resolve("throughline"));
        Path link = Files.createSymbolicLink(bin.resolve("throughline"), middle.getFileName());
        ProcessBuilder builder = new ProcessBuilder(link.toString(), "help").directory(bin.toFile())
                .redirectErrorStream(true);
        builder.environment().remove("JAVA_HOME");
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("Usage: ./throughline <command>");
    }

    /** A home folder whose name holds a space still has its JDKs looked at (~/.jdks, ~/.sdkman). */
    @Test
    void aJdkUnderAHomeWithASpaceInItsNameIsFound() throws Exception {
        Path fakeOld = fakeJava("17");
        Path home = Files.createDirectories(Scratch.dir("launcher").resolve("Jane Doe"));
        Path newest = newestJdk(home.resolve(".jdks"));
        Result result = run(Map.of("JAVA_HOME", fakeOld.toString(), "PATH", fakeOld.resolve("bin") + ":/usr/bin:/bin",
                "HOME", home.toString()), "help");
        assertThat(result.output()).contains("a JDK 99 ran from " + newest);
    }

    /** THROUGHLINE_JDK_DIRS may name a folder holding JDKs, as the usual places are, not only a JDK's home. */
    @Test
    void theJdkDirsVariableNamesFoldersHoldingJdks() throws Exception {
        Path fakeOld = fakeJava("17");
        Path folder = Scratch.dir("jdks");
        Path newest = newestJdk(folder);
        Result result = run(Map.of("JAVA_HOME", fakeOld.toString(), "PATH", fakeOld.resolve("bin") + ":/usr/bin:/bin",
                "THROUGHLINE_JDK_DIRS", "/nonexistent " + folder), "help");
        assertThat(result.output()).contains("a JDK 99 ran from " + newest);
        Result home = run(Map.of("JAVA_HOME", fakeOld.toString(), "PATH", fakeOld.resolve("bin") + ":/usr/bin:/bin",
                "THROUGHLINE_JDK_DIRS", newest.toString()), "help");
        assertThat(home.output()).contains("a JDK 99 ran from " + newest);
    }

    /**
     * A server running from the checkout keeps its jars: a second start with the sources changed since the build is
     * refused before it rebuilds (it would rewrite the jar the first runs from, then fail on the data directory's
     * lock), while a command meant to run beside the server runs the last build.
     */
    @Test
    void aSecondStartWhileOneRunsIsRefusedBeforeItRebuildsTheJarsTheFirstRunsFrom() throws Exception {
        Path fakeOld = fakeJava("17");
        Path jdks = Scratch.dir("jdks");
        newestJdk(jdks, "case \"$*\" in *\" start\"*) echo 'server running'; exec sleep 120 ;;"
                + " *) echo \"ran $*\" ;; esac");
        Map<String, String> env = Map.of("JAVA_HOME", fakeOld.toString(),
                "PATH", fakeOld.resolve("bin") + ":/usr/bin:/bin", "THROUGHLINE_JDK_DIRS", jdks.toString());
        Path jar = ROOT.resolve("server/target/throughline-server.jar");
        assertThat(jar).as("the jar the package phase built").exists();
        Process first = launcher(env, "start").start();
        Path pom = ROOT.resolve("pom.xml");
        FileTime pomTime = Files.getLastModifiedTime(pom);
        try (BufferedReader out = first.inputReader(StandardCharsets.UTF_8)) {
            assertThat(out.readLine()).isEqualTo("server running");
            // The sources changed since the build (as after an edit), without changing them.
            Files.setLastModifiedTime(pom, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 60_000));
            Result second = run(env, "start");
            assertThat(second.status()).as(second.output()).isEqualTo(1);
            assertThat(second.output()).contains("already runs from this checkout").doesNotContain("Building");
            Result beside = run(env, "create-agent");
            assertThat(beside.output()).contains("this runs the last build").contains("ran ")
                    .doesNotContain("Building");
        } finally {
            Files.setLastModifiedTime(pom, pomTime);
            first.descendants().forEach(ProcessHandle::destroy);
            first.destroy();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /** A JDK newer than any installed one, in {@code folder}: the launcher picks it, and its java says it ran. */
    private static Path newestJdk(Path folder) throws IOException {
        return newestJdk(folder, "echo \"a JDK 99 ran from $(dirname \"$(dirname \"$0\")\")\"");
    }

    /** Likewise, its java running {@code run} (a shell command) when it runs a program. */
    private static Path newestJdk(Path folder, String run) throws IOException {
        Path home = folder.resolve("jdk-99");
        Path bin = Files.createDirectories(home.resolve("bin"));
        Files.writeString(bin.resolve("java"), """
                #!/bin/sh
                case "$*" in
                  *-XshowSettings*) echo '    java.specification.version = 99' >&2 ;;
                  *) %s ;;
                esac
                """.formatted(run));
        Files.writeString(bin.resolve("javac"), "#!/bin/sh\n");
        bin.resolve("java").toFile().setExecutable(true);
        bin.resolve("javac").toFile().setExecutable(true);
        return home;
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
        Process process = launcher(env, args).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8));
    }

    private static ProcessBuilder launcher(Map<String, String> env, String... args) {
        ProcessBuilder builder = new ProcessBuilder();
        builder.command().add(ROOT.resolve("throughline").toString());
        builder.command().addAll(List.of(args));
        builder.directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().remove("JAVA_HOME");
        builder.environment().putAll(env);
        return builder;
    }
}
