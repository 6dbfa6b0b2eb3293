package io.starling.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses a duration option such as {@code --statement-timeout}: a number and a unit, {@code 500ms}, {@code 10s},
 * {@code 1.5s}, {@code 2m} (or {@code 2min}), {@code 1h}; a number alone is seconds. A value that is not one, or is
 * not a whole number of milliseconds above zero, is a usage error naming it.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min|h)?");

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        Matcher m = DURATION.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException(
                    "expected a duration such as 500ms, 10s, 2m or 1h, got '" + value + "'");
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        long perUnit = switch (unit) {
            case "ms" -> 1;
            case "s" -> 1_000;
            case "m", "min" -> 60_000;
            default -> 3_600_000;
        };
        BigDecimal millis = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(perUnit));
        if (millis.signum() == 0 || millis.stripTrailingZeros().scale() > 0 || millis.compareTo(MAX_MILLIS) > 0) {
            throw new CommandLine.TypeConversionException(
                    "expected a duration of at least 1ms and at most 24h in whole milliseconds, got '" + value + "'");
        }
        return Duration.ofMillis(millis.longValueExact());
    }

    private static final BigDecimal MAX_MILLIS =
            BigDecimal.valueOf(Duration.ofHours(24).toMillis());
}
