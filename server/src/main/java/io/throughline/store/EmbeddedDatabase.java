package io.throughline.store;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server in {@code <data>/pg}, started when no database URL is configured. Its data survives
 * restarts and crashes (commits are durable: fsync and synchronous_commit on); stopping it is part of a graceful
 * shutdown.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private static final Duration STRAY_STOP_WAIT = Duration.ofSeconds(60);
    /** Whether this machine shows processes in {@code /proc} (Linux): their working directories tell servers apart. */
    private static final boolean PROC = Files.exists(Path.of("/proc", "self", "cwd"));
    /** A pg_hba.conf rule that lets anyone in without a password ("trust", as initdb was asked to write it). */
    private static final Pattern TRUST_RULE = Pattern.compile("(?m)^(\\s*(?:local|host)\\S*\\s.*\\s)trust(\\s*)$");
    /** How much of PostgreSQL's log a failed start quotes. */
    private static final int LOG_LINES_QUOTED = 8;
    /** The folders under {@code base/} initdb makes (template1, template0, postgres: fixed ids since PostgreSQL 15). */
    private static final Set<String> INITDB_DATABASES = Set.of("1", "4", "5");
    private static final long LOG_ROTATE_BYTES = 10L * 1024 * 1024;
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final EmbeddedPostgres postgres;
    private final Path directory;
    /** Open (and locked) while this process runs the server; see {@link #start}. */
    private final FileChannel ownerFile;
    private final String password;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The JVM exit's stop, for a command's server ({@link #start(Path, int, boolean)}); else null. */
    private final Thread stopHook;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path directory, FileChannel ownerFile, String password,
                             Thread stopHook) {
        this.postgres = postgres;
        this.directory = directory;
        this.ownerFile = ownerFile;
        this.password = password;
        this.stopHook = stopHook;
    }

    /** Starts (and on first use initializes) the server in {@code directory}, on {@code port} (0: any free port). */
    public static EmbeddedDatabase start(Path directory, int port) {
        return start(directory, port, false);
    }

    /**
     * Starts the server; with {@code stopOnExit}, the JVM's exit stops it too, however the process ends (a Ctrl+C
     * included: the server runs in a session of its own, which the terminal's signal never reaches), even during
     * this start. For commands that have nothing else to shut down first; the server's own shutdown stops it last.
     */
    public static EmbeddedDatabase start(Path directory, int port, boolean stopOnExit) {
        CompletableFuture<EmbeddedDatabase> started = new CompletableFuture<>();
        Thread hook = null;
        if (stopOnExit) {
            hook = new Thread(() -> stopWhenStarted(started), "embedded-postgres-stop");
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            EmbeddedDatabase database = start(directory, port, hook);
            started.complete(database);
            return database;
        } catch (RuntimeException | Error e) {
            started.complete(null);
            removeHook(hook);
            throw e;
        }
    }

    /**
     * The JVM's exit no longer stops the server: its owner's own shutdown does, in its order (the Throughline server
     * stops it last, after the drain). Until then a Ctrl+C during the owner's start left it running.
     */
    public void leaveStopToOwner() {
        removeHook(stopHook);
    }

    /** At the JVM's exit: a start under way is let finish (its server would be left running), then stopped. */
    private static void stopWhenStarted(CompletableFuture<EmbeddedDatabase> started) {
        try {
            EmbeddedDatabase database = started.get(STRAY_STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
            if (database != null) {
                database.close();
            }
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            log.warn("embedded postgresql may still run after this process: {}", e.toString());
        }
    }

    private static void removeHook(Thread hook) {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs (and stops the server once, whoever comes first)
        }
    }

    private static EmbeddedDatabase start(Path directory, int port, Thread stopHook) {
        FileChannel ownerFile = null;
        try {
            Files.createDirectories(directory);
            // Every Throughline running on this directory holds this lock for as long as it runs; the server it
            // started stops with it. A server found running while nobody holds the lock was left by a process that
            // died or was killed during a start or a command (the server runs in its own session, so Ctrl+C never
            // reaches it): it is stopped first, or this start would wait for it and then fail.
            ownerFile = FileChannel.open(directory.resolveSibling(directory.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (FileLocks.tryLock(ownerFile) == null) {
                throw inUse(directory, null);
            }
            stopStrayServer(directory);
            setAsideUnfinished(directory);
            if (port > 0) {
                requireFree(port);
            }
            Path logFile = logFile(directory);
            long logStart = Files.size(logFile);
            String password = password(directory);
            long started = System.nanoTime();
            Path binaries = binaries(directory);
            // The library's builder also looks after stale servers in its working folder's children (stopping
            // any a pid file there names): that folder is read from this property, else <tmp>/embedded-pg, which
            // anyone may write to. Its cache of unpacked programs is by resolver, and a hit ignores the folder
            // given: a resolver of this start's own unpacks (or finds) them in this data directory's folder.
            System.setProperty("ot.epg.working-dir", binaries.toAbsolutePath().toString());
            PgBinaryResolver resolver = (system, architecture) ->
                    DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, architecture);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory.toAbsolutePath())
                    .setOverrideWorkingDirectory(binaries.toFile())
                    .setPgBinaryResolver(resolver)
                    // PostgreSQL's own words (initdb's, the server's: why it would not start) go to data/pg.log; the
                    // library would log them at a level nobody sees, and a failed start quotes their end.
                    .setOutputRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .setErrorRedirector(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // The embedded library turns these off by default, for tests. A commit here is an acknowledgement
                    // to a customer's mail server, widget or Telegram: it must survive a power cut.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    // pg.log holds why the server would not start or stopped (LOG, FATAL, PANIC), not every
                    // failed statement with its values (Throughline logs those it cares about) nor a line per
                    // checkpoint: it grows by a few lines per start, not with the traffic.
                    .setServerConfig("log_min_messages", "log")
                    .setServerConfig("log_min_error_statement", "panic")
                    .setServerConfig("log_checkpoints", "off")
                    // Case folding (lower(), ILIKE, the email addresses logins fold) by Unicode whatever the
                    // machine's locale: initdb would otherwise take the shell's, and under POSIX it folds ASCII
                    // alone ("ІВАН" stays upper case). Read by initdb only: a cluster made before keeps its own.
                    .setLocaleConfig("locale-provider", "builtin")
                    .setLocaleConfig("builtin-locale", "C.UTF-8")
                    // The library asks initdb for "trust" (anyone on the machine in as superuser) until a start
                    // sets a password; these come after it on initdb's command line, so a new cluster asks for
                    // the kept password from its very first start.
                    .setLocaleConfig("auth", "scram-sha-256")
                    .setLocaleConfig("pwfile", passwordFile(directory).toAbsolutePath().toString())
                    .setConnectConfig("password", password);
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres postgres;
            try {
                postgres = builder.start();
            } catch (IllegalStateException e) {
                // Another process holding the lock: "could not lock"; this process: an overlapping lock.
                if (e instanceof OverlappingFileLockException
                        || String.valueOf(e.getMessage()).contains("could not lock")) {
                    throw inUse(directory, e);
                }
                throw failedStart(directory, logFile, logStart, e);
            } catch (IOException | RuntimeException e) {
                throw failedStart(directory, logFile, logStart, e);
            }
            try {
                requirePassword(postgres, directory, password);
            } catch (IOException | SQLException | RuntimeException e) {
                postgres.close();
                throw new IllegalStateException("cannot set the password of the embedded PostgreSQL in " + directory
                        + ": " + e.getMessage(), e);
            }
            log.info("embedded postgresql started dir={} port={} ms={}", directory, postgres.getPort(),
                    (System.nanoTime() - started) / 1_000_000);
            return new EmbeddedDatabase(postgres, directory, ownerFile, password, stopHook);
        } catch (IOException | RuntimeException e) {
            release(ownerFile);
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + directory, (IOException) e);
        }
    }

    /**
     * The superuser's password, kept beside the directory ({@code pg.password}, readable by its owner only): a
     * superuser can run programs as the user Throughline runs as, so no local user may get in without it. A new
     * cluster is made with it (initdb's {@code --pwfile}); a server made before the file (by an older version, or
     * after the file was lost) is let in without a password once more, to be given this one
     * ({@link #requirePassword}).
     */
    private static String password(Path directory) throws IOException {
        Path file = passwordFile(directory);
        if (Files.exists(file)) {
            String kept = Files.readString(file).strip();
            if (!kept.isEmpty()) {
                return kept;
            }
        }
        SecureRandom random = new SecureRandom();
        StringBuilder fresh = new StringBuilder();
        for (int i = 0; i < 32; i++) {
            fresh.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(temporary);
        }
        Files.writeString(temporary, fresh + "\n");
        // The server is let in without a password before the new one is kept: a crash between the two then leaves
        // a server the next start enters and gives the kept password, never one that asks for a password nobody
        // has.
        Path hba = directory.resolve("pg_hba.conf");
        if (Files.exists(hba)) {
            // The server's password is unknown now: its owner may always let it in without one, to set this one.
            String rules = Files.readString(hba);
            String open = rules.replaceAll("(?m)^(\\s*(?:local|host)\\S*\\s.*\\s)scram-sha-256(\\s*)$", "$1trust$2");
            if (!open.equals(rules)) {
                replace(hba, open);
                log.warn("the embedded PostgreSQL's password file was missing: a new password is set dir={}",
                        directory);
            }
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return fresh.toString();
    }

    /**
     * A failed start, with the end of what PostgreSQL said: the library's own message is mostly that it gave up
     * waiting for a server that had stopped at once (a port taken, a directory it cannot use).
     */
    static IllegalStateException failedStart(Path directory, Path logFile, long logStart, Exception e) {
        StringBuilder message = new StringBuilder("cannot start the embedded PostgreSQL in " + directory + ": "
                + e.getMessage());
        List<String> said = lastLines(logFile, logStart, LOG_LINES_QUOTED);
        if (!said.isEmpty()) {
            message.append("; the end of ").append(logFile).append(':');
            said.forEach(line -> message.append("\n    ").append(line));
        }
        return new IllegalStateException(message.toString(), e);
    }

    /** The last lines this start wrote (from {@code from} on: an earlier start's are not its reasons). */
    private static List<String> lastLines(Path file, long from, int count) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long start = Math.max(from, channel.size() - 64 * 1024);
            ByteBuffer tail = ByteBuffer.allocate((int) Math.max(0, channel.size() - start));
            while (tail.hasRemaining() && channel.read(tail, start + tail.position()) > 0) {
                // read on until the end
            }
            // Lenient: a byte that is not UTF-8 (a locale's message) becomes U+FFFD, not an empty quote.
            List<String> lines = new String(tail.array(), 0, tail.position(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.isBlank()).toList();
            return lines.subList(Math.max(0, lines.size() - count), lines.size());
        } catch (IOException e) {
            return List.of(); // nothing written: the library's message stands alone
        }
    }

    /** {@code data/pg.log}, begun anew (the old one kept as {@code pg.log.1}) once it passes 10 MB. */
    private static Path logFile(Path directory) throws IOException {
        Path file = directory.resolveSibling(directory.getFileName() + ".log");
        if (Files.exists(file) && Files.size(file) > LOG_ROTATE_BYTES) {
            Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.exists(file)) {
            try {
                Files.createFile(file,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
        }
        return file;
    }

    /**
     * A chosen port someone else listens on fails here, naming the option: PostgreSQL would stop at once and the
     * library wait a minute for it before giving up.
     */
    private static void requireFree(int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            // Where PostgreSQL will listen (listen_addresses), not ::1, which a JVM preferring IPv6 calls loopback.
            probe.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the embedded PostgreSQL: port " + port + " on 127.0.0.1"
                    + " is taken (" + e.getMessage() + "); choose another with database.embeddedPort"
                    + " (THROUGHLINE_DATABASE_EMBEDDED_PORT), or 0 for any free port", e);
        }
    }

    /**
     * A first start stopped while initdb ran (killed, the machine off) leaves a directory that is no cluster, or
     * not a whole one (initdb makes its databases after the control file). The library would skip initdb for its
     * config file and then wait a minute for a server that cannot start, at every start. Such a directory never
     * held data: no server ever ran on it (every start writes {@code postmaster.opts}), and it is no backup being
     * restored (those carry a backup label or a recovery signal), nor a cold copy of one whose server files were
     * left out (a database beyond initdb's own three: PostgreSQL's backup guide lets a copy skip
     * {@code postmaster.opts}). It is moved aside to {@code pg.unfinished} (the one before replaced) and made again.
     * Any other cluster is left alone, whatever its state.
     */
    static void setAsideUnfinished(Path directory) throws IOException {
        for (String ran : List.of("postmaster.opts", "backup_label", "backup_manifest", "recovery.signal",
                "standby.signal")) {
            if (Files.exists(directory.resolve(ran))) {
                return;
            }
        }
        if (Files.isDirectory(directory.resolve("base"))) {
            try (var databases = Files.list(directory.resolve("base"))) {
                if (databases.anyMatch(database -> !INITDB_DATABASES.contains(database.getFileName().toString()))) {
                    return;
                }
            }
        }
        boolean begun = false;
        for (String made : List.of("PG_VERSION", "postgresql.conf", "base", "global", "pg_wal")) {
            begun |= Files.exists(directory.resolve(made));
        }
        if (!begun) {
            return;
        }
        Path aside = directory.resolveSibling(directory.getFileName() + ".unfinished");
        if (Files.exists(aside)) {
            try (var walk = Files.walk(aside)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        }
        Files.move(directory, aside);
        Files.createDirectories(directory);
        log.warn("the embedded PostgreSQL's directory held an unfinished first start (no server ever ran on it):"
                + " moved aside to {} and made again dir={}", aside, directory);
    }

    private static Path passwordFile(Path directory) {
        return directory.resolveSibling(directory.getFileName() + ".password");
    }

    /**
     * Where the PostgreSQL programs are unpacked and run from: {@code <data>/pg.binaries}, for its owner only. The
     * embedded library's own choice, {@code <tmp>/embedded-pg}, is made writable by every user (and is reused by
     * its name alone), so anyone on the machine could put programs there that the next start runs as Throughline.
     * The library makes the folder it is given writable by everyone too, so it is given one inside this one.
     */
    private static Path binaries(Path directory) throws IOException {
        Path owned = directory.resolveSibling(directory.getFileName() + ".binaries");
        try {
            Files.createDirectories(owned,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setPosixFilePermissions(owned, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(owned); // not a POSIX file system: no other users' permissions to close
        }
        return owned.resolve("postgres");
    }

    /** Rewrites a file whole or not at all: a crash midway must not leave PostgreSQL a truncated pg_hba.conf. */
    private static void replace(Path file, String content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, content);
        try {
            Files.setPosixFilePermissions(temporary, Files.getPosixFilePermissions(file));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its default permissions
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Sets the password and requires it on every connection, when the server still lets anyone in. */
    private static void requirePassword(EmbeddedPostgres postgres, Path directory, String password)
            throws IOException, SQLException {
        Path hba = directory.resolve("pg_hba.conf");
        String rules = Files.readString(hba);
        if (!TRUST_RULE.matcher(rules).find()) {
            return;
        }
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("ALTER ROLE postgres PASSWORD '" + password.replace("'", "''") + "'");
            replace(hba, TRUST_RULE.matcher(rules).replaceAll("$1scram-sha-256$2"));
            statement.execute("SELECT pg_reload_conf()");
        }
        log.info("embedded postgresql now requires its password dir={}", directory);
    }

    /**
     * Stops a PostgreSQL still running on {@code directory} from an earlier process (its pid file names a live
     * postgres process), and waits until it is gone.
     */
    static void stopStrayServer(Path directory) throws IOException {
        Optional<ProcessHandle> holder = postmaster(directory);
        if (holder.isEmpty()) {
            return;
        }
        long pid = holder.get().pid();
        if (worksIn(holder.get(), directory).equals(Optional.of(false))) {
            // A reboot (or a container's restart) gave the pid to another program: PostgreSQL takes any live
            // process it may signal for a server still running here, and refused every start. This process holds
            // the directory's lock, and that program is not serving it: the file is stale.
            log.warn("postmaster.pid in {} names pid={}, now another program's: removing the stale file", directory,
                    pid);
            Files.deleteIfExists(directory.resolve("postmaster.pid"));
            return;
        }
        // Only a postgres serving this very directory (not another instance that got its pid after a reboot).
        Optional<ProcessHandle> process = holder
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false))
                .filter(p -> serves(p, directory));
        if (process.isEmpty()) {
            return;
        }
        // A Throughline from before data/pg.lock holds the embedded library's own lock while it runs: its server
        // is in use, not left behind.
        Path libraryLock = directory.resolve("epg-lock");
        if (Files.exists(libraryLock)) {
            try (FileChannel channel = FileChannel.open(libraryLock, StandardOpenOption.WRITE)) {
                FileLock held = FileLocks.tryLock(channel);
                if (held == null) {
                    throw inUse(directory, null);
                }
                held.release();
            }
        }
        log.warn("a PostgreSQL left running by an earlier process holds {}: stopping it pid={}", directory, pid);
        // SIGTERM: PostgreSQL's smart shutdown, a clean checkpoint; its clients died with their process.
        process.get().destroy();
        try {
            process.get().onExit().get(STRAY_STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the PostgreSQL left running in " + directory);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("a PostgreSQL left running by an earlier process (pid " + pid + ") holds "
                    + directory + " and did not stop within " + STRAY_STOP_WAIT.toSeconds() + " s: stop it, then"
                    + " start again");
        }
    }

    /** The live process this directory's {@code postmaster.pid} names, if there is one. */
    private static Optional<ProcessHandle> postmaster(Path directory) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(directory.resolve("postmaster.pid"));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return lines.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(lines.getFirst().strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether the process works in this directory (a postmaster works in its data directory), as Linux shows it;
     * empty when that cannot be told (no {@code /proc}, a process gone meanwhile or another user's).
     */
    private static Optional<Boolean> worksIn(ProcessHandle process, Path directory) {
        if (!PROC) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.isSameFile(Path.of("/proc", Long.toString(process.pid()), "cwd"), directory));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether the process is the server of this directory. PostgreSQL works in its data directory, which Linux
     * shows as the process's working directory; its command line is no proof, as every installation started its
     * server with the same relative {@code data/pg}. Elsewhere, only an absolute path on the command line counts.
     */
    private static boolean serves(ProcessHandle process, Path directory) {
        if (PROC) {
            return worksIn(process, directory).orElse(false); // gone meanwhile, or another user's: not ours to stop
        }
        return process.info().commandLine().map(line -> line.contains(directory.toAbsolutePath().toString()))
                .orElse(false);
    }

    private static IllegalStateException inUse(Path directory, Throwable cause) {
        return new InUse(directory + " is in use by another Throughline on this machine: stop it"
                + " first, or give this one its own THROUGHLINE_DATA_DIR", cause);
    }

    /** The data directory's PostgreSQL is another Throughline's, running now (a command tells it apart). */
    public static final class InUse extends IllegalStateException {
        InUse(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static void release(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("cannot close the embedded database's lock file: {}", e.toString());
            }
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /** The password of its superuser, {@code postgres}. */
    public String password() {
        return password;
    }

    public Path directory() {
        return directory;
    }

    /**
     * Waits for the process to end, looking every few milliseconds. Ended includes a zombie: the postmaster's
     * parent is the machine's init, which may reap it only a second or two later (a container's often does).
     */
    private static boolean stopped(ProcessHandle process, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (process.isAlive() && !zombie(process.pid())) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int end = stat.lastIndexOf(')'); // the command, in parentheses, may hold spaces and parentheses
            return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'Z';
        } catch (IOException e) {
            return false; // gone (isAlive says so next), or no /proc: the process is looked at as it is
        }
    }

    /** The server's postmaster, as its pid file names it; empty when it cannot be read. */
    private Optional<ProcessHandle> serverProcess() {
        try {
            return postmaster(directory);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Stops the server; once (a command's shutdown hook and its own end may both ask), and a second caller waits
     * for a stop under way: the exit hook must not return (and the JVM exit) before the server stopped.
     */
    @Override
    public synchronized void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        try {
            Optional<ProcessHandle> server = serverProcess();
            postgres.close();
            // The library waits 5 s for the stop and then returns as if done; a shutdown checkpoint with much to
            // write (fsync on) takes longer, and the directory's lock must not be let go while the server runs.
            if (server.isPresent() && !stopped(server.get(), STRAY_STOP_WAIT)) {
                log.warn("embedded postgresql still running {} s after it was asked to stop pid={} dir={}",
                        STRAY_STOP_WAIT.toSeconds(), server.get().pid(), directory);
            }
            log.info("embedded postgresql stopped dir={}", directory);
        } catch (IOException e) {
            log.warn("embedded postgresql did not stop cleanly dir={}", directory, e);
        } finally {
            release(ownerFile);
            removeHook(stopHook);
        }
    }
}
