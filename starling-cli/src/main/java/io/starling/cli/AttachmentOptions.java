package io.starling.cli;

import io.starling.StarlingConfig;
import io.starling.StarlingException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** How a {@code peer} or {@code server} fetches, serves and collects attachments (docs/ATTACHMENTS.md, "Settings"). */
final class AttachmentOptions {
    @Option(
            names = "--attachment-fetch-timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Give up a peer that sends nothing of an attachment it owes for this long, and fail a fetch"
                    + " that goes this long with no peer to ask (default: 30s; at least 100ms, at most 1h).")
    @Nullable
    Duration fetchTimeout;

    @Option(
            names = "--attachment-grace-period",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Delete an attachment no document references once it has been unreferenced this long"
                    + " (default: 1h).")
    @Nullable
    Duration gracePeriod;

    @Option(
            names = "--attachment-bandwidth",
            paramLabel = "BYTES",
            description = "Send at most BYTES attachment bytes a second to each peer (default: no limit); documents"
                    + " are never held back by it.")
    @Nullable
    Long bytesPerSecondPerPeer;

    @Option(
            names = "--attachment-max-fetches",
            paramLabel = "N",
            description = "Transfer at most N attachment fetches at once; more wait their turn (default: 4, at most"
                    + " 64).")
    @Nullable
    Integer maxConcurrentFetches;

    @Option(
            names = "--attachment-max-bytes",
            paramLabel = "SIZE",
            converter = ByteSizeConverter.class,
            description = "Store no attachment larger than SIZE (bytes, or with a unit: 500MiB, 2GiB): larger uploads"
                    + " are answered 413, larger fetches fail (default: 1GiB).")
    @Nullable
    Long maxBytes;

    /**
     * {@code builder} with the attachment settings given on the command line; a value out of range is a
     * {@code config/invalid} error naming the setting.
     */
    StarlingConfig.Builder apply(StarlingConfig.Builder builder) {
        if (fetchTimeout == null
                && gracePeriod == null
                && bytesPerSecondPerPeer == null
                && maxConcurrentFetches == null
                && maxBytes == null) return builder;
        StarlingConfig.Attachments d = StarlingConfig.Attachments.defaults(); // the CLI sets nothing else
        try {
            return builder.attachments(new StarlingConfig.Attachments(
                    maxConcurrentFetches != null ? maxConcurrentFetches : d.maxConcurrentFetches(),
                    fetchTimeout != null ? fetchTimeout : d.fetchTimeout(),
                    bytesPerSecondPerPeer != null ? bytesPerSecondPerPeer : d.bytesPerSecondPerPeer(),
                    gracePeriod != null ? gracePeriod : d.gracePeriod(),
                    maxBytes != null ? maxBytes : d.maxBytes()));
        } catch (StarlingException e) {
            throw new CliUsageException("an --attachment-… option is out of range: " + e.getMessage());
        }
    }
}
