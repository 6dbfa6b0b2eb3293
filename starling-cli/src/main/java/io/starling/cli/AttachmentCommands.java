package io.starling.cli;

import io.starling.Attachment;
import io.starling.AttachmentFetchListener;
import io.starling.AttachmentFetcher;
import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;

/** The shell's {@code .attach} and {@code .fetch} (docs/CLI.md, "Attachments"). One call at a time, on the shell's thread. */
final class AttachmentCommands {
    static final String ARGUMENT = "attachment";
    private static final int BAR = 30;

    private final Starling db;
    private final PrintWriter out;

    AttachmentCommands(Starling db, PrintWriter out) {
        this.db = db;
        this.out = out;
    }

    /**
     * {@code .attach FILE}: stores the file, prints its token, and returns the shell's arguments with the token added as
     * {@code :attachment}.
     */
    Map<String, Object> attach(String argument, Map<String, Object> args) {
        if (argument.isEmpty()) throw new CliUsageException(".attach needs a file: .attach photo.jpg");
        Path file = Path.of(argument);
        Map<String, String> metadata = new LinkedHashMap<>();
        Path name = file.getFileName();
        if (name != null) metadata.put("name", name.toString());
        AttachmentToken t = db.store().newAttachment(file, metadata);
        out.println(JsonArgs.write(AttachmentEndpoints.tokenJson(t)));
        out.println("-- stored " + human(t.len()) + "; :" + ARGUMENT + " holds the token for the following statements");
        Map<String, Object> next = new LinkedHashMap<>(args);
        next.put(ARGUMENT, t);
        return next;
    }

    /**
     * {@code .fetch ID LEN PATH} (or {@code .fetch ID PATH} for a blob held here): fetches the blob with a progress bar
     * and copies it to PATH. {@code stop} receives an element when the user presses Ctrl-C.
     */
    void fetch(String argument, BlockingQueue<Object> stop, Object stopMark, boolean interactive) {
        String[] parts = argument.isEmpty() ? new String[0] : argument.split("\\s+");
        if (parts.length < 2 || parts.length > 3) {
            throw new CliUsageException(".fetch needs an id, its length and a target path: .fetch <id> <len> <path>");
        }
        String id = parts[0];
        if (!AttachmentToken.isId(id)) {
            throw new CliUsageException(".fetch: '" + id + "' is not an attachment id (64 lowercase hex digits)");
        }
        long len = 0;
        if (parts.length == 3) {
            try {
                len = Long.parseLong(parts[1]);
                if (len < 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                throw new CliUsageException(".fetch: the length must be a number of bytes, got '" + parts[1] + "'");
            }
        }
        Path target = Path.of(parts[parts.length - 1]);
        BlockingQueue<Object> events = stop;
        AttachmentFetcher f = db.store()
                .fetchAttachment(new AttachmentToken(id, len, Map.of()), new AttachmentFetchListener() {
                    @Override
                    public void progress(long done, long total) {
                        events.add(new long[] {done, total});
                    }

                    @Override
                    public void completed(Attachment attachment) {
                        events.add(attachment);
                    }

                    @Override
                    public void failed(ErrorCode code, String reason) {
                        events.add(new StarlingException(code, reason));
                    }
                });
        try {
            while (true) {
                Object e = events.take();
                if (e == stopMark) {
                    f.cancel();
                    continue; // the failure (cancelled) follows
                }
                if (e instanceof long[] p) {
                    if (interactive) {
                        out.print("\r" + bar(p[0], p[1]));
                        out.flush();
                    }
                } else if (e instanceof Attachment a) {
                    a.copyTo(target);
                    if (interactive)
                        out.print("\r" + bar(a.token().len(), a.token().len()) + "\n");
                    out.println("-- " + human(a.token().len()) + " written to " + target);
                    return;
                } else if (e instanceof StarlingException x) {
                    if (interactive) out.println();
                    throw x;
                }
            }
        } catch (InterruptedException e) {
            f.cancel();
            Thread.currentThread().interrupt();
        }
    }

    /** {@code [#########.....]  45%  22.5 MB of 50.0 MB}. */
    static String bar(long done, long total) {
        int filled = total == 0 ? BAR : (int) (done * BAR / total);
        int percent = total == 0 ? 100 : (int) (done * 100 / total);
        String line = "[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] "
                + String.format(Locale.ROOT, "%3d%%", percent) + "  " + human(done) + " of " + human(total);
        return String.format(Locale.ROOT, "%-64s", line); // overwrites a longer line drawn before it
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        if (bytes < 1024L * 1024 * 1024) return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
