package io.starling.internal.engine;

import io.starling.Starling;
import io.starling.StarlingConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * Child process of {@link KillDurabilityTest}: writes forever, recording each write once it is
 * acknowledged (execute returned) in an append-only acknowledgement file and on stdout (for progress).
 * Args: database directory, first document number, acknowledgement file.
 */
public final class DurabilityChild {
    public static void main(String[] args) throws java.io.IOException {
        PrintStream out = System.out;
        PrintStream acks = new PrintStream(new java.io.FileOutputStream(args[2], true), false, "UTF-8");
        long next = Long.parseLong(args[1]);
        try (Starling db = Starling.open(
                StarlingConfig.builder().databaseDirectory(Path.of(args[0])).build())) {
            db.store().execute("INSERT INTO counters DOCUMENTS ({'_id': 'n'}) ON ID CONFLICT DO NOTHING");
            out.println("ready");
            out.flush();
            while (true) {
                if (next % 3 == 0) {
                    db.store().execute("UPDATE counters APPLY n INCREMENT BY 1 WHERE _id = 'n'");
                    acks.println("inc " + next);
                    acks.flush();
                    out.println("inc " + next);
                } else {
                    db.store()
                            .execute(
                                    "INSERT INTO docs DOCUMENTS (:d)",
                                    Map.of(
                                            "d",
                                            Map.of("_id", next, "payload", "p".repeat((int) (next % 200)), "n", next)));
                    acks.println("doc " + next);
                    acks.flush();
                    out.println("doc " + next);
                }
                out.flush();
                next++;
            }
        }
    }
}
