package io.starling.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Parses a size option such as {@code --attachment-max-bytes}: a whole number of bytes, or one with a binary unit
 * ({@code 64KiB}, {@code 500MiB}, {@code 2GiB}, {@code 1TiB}; {@code K}, {@code M}, {@code G}, {@code T} mean the
 * same). A value that is not one, is zero, or does not fit in a long is a usage error naming it.
 */
final class ByteSizeConverter implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,19})\\s*(b|k|kib|m|mib|g|gib|t|tib)?");

    @Override
    public Long convert(String value) {
        return parse(value);
    }

    static long parse(String value) {
        Matcher m = SIZE.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException(
                    "expected a size such as 1048576, 500MiB or 2GiB, got '" + value + "'");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        int shift = switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n <= 0 || n > (Long.MAX_VALUE >> shift)) {
            throw new CommandLine.TypeConversionException(
                    "expected a size of at least 1 byte that fits in 63 bits, got '" + value + "'");
        }
        return n << shift;
    }
}
