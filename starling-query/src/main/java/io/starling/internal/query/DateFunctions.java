package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Date and time functions, in {@code java.time}, UTC unless a zone argument is given. The current time is the
 * execution's {@code nowMillis}; nothing here reads a clock.
 *
 * <p>A <em>date</em> is either an ISO-8601 string ({@code '2024-05-01'}, {@code '2024-05-01T10:00:00Z'},
 * {@code '2024-05-01T12:00:00.5+02:00'}; without an offset it is UTC; a space may replace the {@code T}) or a
 * number of epoch milliseconds. Functions that return a date return the same kind they were given: a string in
 * the canonical form {@code yyyy-MM-ddTHH:mm:ss.SSSZ} (always three fraction digits, so that such strings sort
 * chronologically), or a number. An unparseable date, an unknown unit, part or zone gives NULL.
 */
final class DateFunctions {
    private DateFunctions() {}

    private static final DateTimeFormatter CANONICAL = DateTimeFormatter.ofPattern(
                    "uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter WITH_OFFSET =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX", Locale.ROOT);

    /** Units of date_add / date_sub / date_diff / date_trunc. */
    enum Unit {
        MILLISECOND(1L),
        SECOND(1_000L),
        MINUTE(60_000L),
        HOUR(3_600_000L),
        DAY(86_400_000L),
        WEEK(604_800_000L),
        MONTH(0),
        QUARTER(0),
        YEAR(0);

        final long millis;

        Unit(long millis) {
            this.millis = millis;
        }

        static @Nullable Unit of(Value v) {
            if (!(v instanceof Value.Str s)) return null;
            String u = s.value().trim().toLowerCase(Locale.ROOT);
            if (u.endsWith("s") && u.length() > 2) u = u.substring(0, u.length() - 1);
            switch (u) {
                case "ms":
                case "millisecond":
                case "milli":
                    return MILLISECOND;
                case "s":
                case "second":
                case "sec":
                    return SECOND;
                case "minute":
                case "min":
                    return MINUTE;
                case "hour":
                case "h":
                    return HOUR;
                case "day":
                case "d":
                    return DAY;
                case "week":
                case "w":
                    return WEEK;
                case "month":
                case "mon":
                    return MONTH;
                case "quarter":
                    return QUARTER;
                case "year":
                case "y":
                    return YEAR;
                default:
                    return null;
            }
        }
    }

    static void register(FunctionRegistry.Builder b) {
        b.fn("clock", 0, 0, (env, a) -> Value.of(canonical(env.nowMillis)), "now_str");
        b.fn("now_millis", 0, 0, (env, a) -> Value.of(env.nowMillis));
        b.fn(
                "millis",
                1,
                1,
                (env, a) -> {
                    Long m = millis(a[0]);
                    return m == null ? Value.NULL : Value.of(m);
                },
                "str_to_millis");
        b.fn("date_add", 3, 3, (env, a) -> add(a, 1));
        b.fn("date_sub", 3, 3, (env, a) -> add(a, -1));
        b.fn("date_diff", 3, 3, (env, a) -> diff(a));
        b.fn("date_part", 2, 3, (env, a) -> part(a));
        b.fn("date_trunc", 2, 3, (env, a) -> trunc(a));
        b.fn("date_format", 2, 3, (env, a) -> format(a));
        b.fn("date_cast", 1, 2, (env, a) -> cast(a));
        b.fn("tz_offset", 2, 2, (env, a) -> {
            Long m = millis(a[0]);
            ZoneId z = zone(a[1]);
            if (m == null || z == null) return Value.NULL;
            return Value.of(WITH_OFFSET.format(Instant.ofEpochMilli(m).atZone(z)));
        });
    }

    // ---------------------------------------------------------------------------------------------- conversions

    static String canonical(long millis) {
        return CANONICAL.format(Instant.ofEpochMilli(millis));
    }

    /** Epoch milliseconds of a date value, or null. */
    static @Nullable Long millis(Value v) {
        if (v instanceof Value.Int i) return i.value();
        if (v instanceof Value.Dbl d) return Double.isFinite(d.value()) ? (long) Math.floor(d.value()) : null;
        if (v instanceof Value.Str s) return parseIso(s.value());
        return null;
    }

    static @Nullable Long parseIso(String text) {
        String s = text.trim();
        if (s.length() > 10 && s.charAt(10) == ' ') s = s.substring(0, 10) + 'T' + s.substring(11);
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeException notOffset) {
            try {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC).toEpochMilli();
            } catch (DateTimeException notLocal) {
                try {
                    return LocalDate.parse(s)
                            .atStartOfDay(ZoneOffset.UTC)
                            .toInstant()
                            .toEpochMilli();
                } catch (DateTimeException notDate) {
                    return null;
                }
            }
        }
    }

    /** A date result in the representation of the input: number in, number out; otherwise a canonical string. */
    private static Value like(Value input, long millis) {
        return input.isNumber() ? Value.of(millis) : Value.of(canonical(millis));
    }

    private static @Nullable ZoneId zone(Value v) {
        if (!(v instanceof Value.Str s)) return null;
        try {
            return ZoneId.of(s.value().trim());
        } catch (DateTimeException bad) {
            return null;
        }
    }

    private static @Nullable ZoneId zoneArg(Value[] a, int i) {
        return a.length > i ? zone(a[i]) : ZoneOffset.UTC;
    }

    // ---------------------------------------------------------------------------------------------- arithmetic

    private static Value add(Value[] a, int sign) {
        Long m = millis(a[0]);
        Long n = NumericFunctions.integral(a[1]);
        Unit u = Unit.of(a[2]);
        if (m == null || n == null || u == null) return Value.NULL;
        try {
            long amount = Math.multiplyExact(n, sign);
            long result;
            if (u.millis > 0) {
                result = Math.addExact(m, Math.multiplyExact(amount, u.millis));
            } else {
                ZonedDateTime z = Instant.ofEpochMilli(m).atZone(ZoneOffset.UTC);
                z = u == Unit.YEAR
                        ? z.plusYears(amount)
                        : z.plusMonths(u == Unit.QUARTER ? Math.multiplyExact(amount, 3) : amount);
                result = z.toInstant().toEpochMilli();
            }
            return like(a[0], result);
        } catch (ArithmeticException | DateTimeException outOfRange) {
            return Value.NULL;
        }
    }

    /** {@code date_diff(d1, d2, unit)}: d1 − d2 in whole units, truncated toward zero. */
    private static Value diff(Value[] a) {
        Long m1 = millis(a[0]), m2 = millis(a[1]);
        Unit u = Unit.of(a[2]);
        if (m1 == null || m2 == null || u == null) return Value.NULL;
        try {
            if (u.millis > 0) return Value.of(Math.subtractExact(m1, m2) / u.millis);
            ZonedDateTime z1 = Instant.ofEpochMilli(m1).atZone(ZoneOffset.UTC),
                    z2 = Instant.ofEpochMilli(m2).atZone(ZoneOffset.UTC);
            long months = ChronoUnit.MONTHS.between(z2, z1);
            return Value.of(u == Unit.MONTH ? months : u == Unit.QUARTER ? months / 3 : months / 12);
        } catch (ArithmeticException | DateTimeException outOfRange) {
            return Value.NULL;
        }
    }

    private static Value part(Value[] a) {
        Long m = millis(a[0]);
        ZoneId zone = zoneArg(a, 2);
        if (m == null || zone == null || !(a[1] instanceof Value.Str p)) return Value.NULL;
        ZonedDateTime z = Instant.ofEpochMilli(m).atZone(zone);
        switch (p.value().trim().toLowerCase(Locale.ROOT)) {
            case "year":
                return Value.of((long) z.getYear());
            case "quarter":
                return Value.of((long) z.get(IsoFields.QUARTER_OF_YEAR));
            case "month":
                return Value.of((long) z.getMonthValue());
            case "week":
            case "iso_week":
                return Value.of((long) z.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
            case "day":
                return Value.of((long) z.getDayOfMonth());
            case "dow":
            case "day_of_week":
            case "weekday":
                return Value.of((long) z.getDayOfWeek().getValue());
            case "doy":
            case "day_of_year":
                return Value.of((long) z.getDayOfYear());
            case "hour":
                return Value.of((long) z.getHour());
            case "minute":
                return Value.of((long) z.getMinute());
            case "second":
                return Value.of((long) z.getSecond());
            case "millisecond":
                return Value.of((long) (z.getNano() / 1_000_000));
            case "epoch":
                return Value.of(Math.floorDiv(m, 1000L));
            case "epoch_ms":
                return Value.of(m);
            default:
                return Value.NULL;
        }
    }

    private static Value trunc(Value[] a) {
        Long m = millis(a[0]);
        Unit u = Unit.of(a[1]);
        ZoneId zone = zoneArg(a, 2);
        if (m == null || u == null || zone == null) return Value.NULL;
        ZonedDateTime z = Instant.ofEpochMilli(m).atZone(zone);
        switch (u) {
            case MILLISECOND:
                break;
            case SECOND:
                z = z.truncatedTo(ChronoUnit.SECONDS);
                break;
            case MINUTE:
                z = z.truncatedTo(ChronoUnit.MINUTES);
                break;
            case HOUR:
                z = z.truncatedTo(ChronoUnit.HOURS);
                break;
            case DAY:
                z = z.truncatedTo(ChronoUnit.DAYS);
                break;
            case WEEK:
                z = z.truncatedTo(ChronoUnit.DAYS).minusDays(z.getDayOfWeek().getValue() - 1L);
                break;
            case MONTH:
                z = z.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
                break;
            case QUARTER:
                z = z.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1).withMonth(((z.getMonthValue() - 1) / 3) * 3 + 1);
                break;
            default:
                z = z.truncatedTo(ChronoUnit.DAYS).withDayOfYear(1);
                break;
        }
        return like(a[0], z.toInstant().toEpochMilli());
    }

    // ---------------------------------------------------------------------------------------------- strftime

    private static Value format(Value[] a) {
        Long m = millis(a[0]);
        ZoneId zone = zoneArg(a, 2);
        if (m == null || zone == null || !(a[1] instanceof Value.Str f)) return Value.NULL;
        String out = strftime(Instant.ofEpochMilli(m).atZone(zone), f.value());
        return out == null ? Value.NULL : Value.of(out);
    }

    /** Formats with strftime specifiers; null on an unknown specifier. */
    static @Nullable String strftime(ZonedDateTime z, String fmt) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (++i >= fmt.length()) return null;
            switch (fmt.charAt(i)) {
                case 'Y':
                    pad(sb, z.getYear(), 4);
                    break;
                case 'y':
                    pad(sb, Math.floorMod(z.getYear(), 100), 2);
                    break;
                case 'm':
                    pad(sb, z.getMonthValue(), 2);
                    break;
                case 'd':
                    pad(sb, z.getDayOfMonth(), 2);
                    break;
                case 'e':
                    if (z.getDayOfMonth() < 10) sb.append(' ');
                    sb.append(z.getDayOfMonth());
                    break;
                case 'H':
                    pad(sb, z.getHour(), 2);
                    break;
                case 'I':
                    pad(sb, (z.getHour() + 11) % 12 + 1, 2);
                    break;
                case 'M':
                    pad(sb, z.getMinute(), 2);
                    break;
                case 'S':
                    pad(sb, z.getSecond(), 2);
                    break;
                case 'L':
                    pad(sb, z.getNano() / 1_000_000, 3);
                    break;
                case 'f':
                    pad(sb, z.getNano() / 1_000, 6);
                    break;
                case 'p':
                    sb.append(z.getHour() < 12 ? "AM" : "PM");
                    break;
                case 'j':
                    pad(sb, z.getDayOfYear(), 3);
                    break;
                case 'a':
                    sb.append(z.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                    break;
                case 'A':
                    sb.append(z.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                    break;
                case 'b':
                case 'h':
                    sb.append(z.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                    break;
                case 'B':
                    sb.append(z.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                    break;
                case 'u':
                    sb.append(z.getDayOfWeek().getValue());
                    break;
                case 'w':
                    sb.append(
                            z.getDayOfWeek() == DayOfWeek.SUNDAY
                                    ? 0
                                    : z.getDayOfWeek().getValue());
                    break;
                case 'V':
                    pad(sb, z.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), 2);
                    break;
                case 'z': {
                    int secs = z.getOffset().getTotalSeconds();
                    sb.append(secs < 0 ? '-' : '+');
                    pad(sb, Math.abs(secs) / 3600, 2);
                    pad(sb, Math.abs(secs) / 60 % 60, 2);
                    break;
                }
                case 'Z':
                    sb.append(
                            z.getZone() instanceof ZoneOffset o && o.getTotalSeconds() == 0
                                    ? "UTC"
                                    : z.getZone().getId());
                    break;
                case 's':
                    sb.append(z.toEpochSecond());
                    break;
                case 'F':
                    sb.append(strftime(z, "%Y-%m-%d"));
                    break;
                case 'T':
                    sb.append(strftime(z, "%H:%M:%S"));
                    break;
                case 'D':
                    sb.append(strftime(z, "%m/%d/%y"));
                    break;
                case 'n':
                    sb.append('\n');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case '%':
                    sb.append('%');
                    break;
                default:
                    return null;
            }
        }
        return sb.toString();
    }

    private static void pad(StringBuilder sb, long v, int width) {
        String s = Long.toString(Math.abs(v));
        if (v < 0) sb.append('-');
        for (int i = s.length(); i < width; i++) sb.append('0');
        sb.append(s);
    }

    // ---------------------------------------------------------------------------------------------- date_cast

    /** {@code date_cast(x [, format])}: a date (number, ISO string or a string in {@code format}) as a canonical string. */
    private static Value cast(Value[] a) {
        if (a.length == 1 || a[0].isNumber()) {
            Long m = millis(a[0]);
            return m == null ? Value.NULL : Value.of(canonical(m));
        }
        if (!(a[0] instanceof Value.Str s) || !(a[1] instanceof Value.Str f)) return Value.NULL;
        Long m = strptime(s.value(), f.value());
        return m == null ? Value.NULL : Value.of(canonical(m));
    }

    /** Parses with strftime specifiers (%Y %m %d %e %H %I %M %S %L %f %p %j %b %B %y %z %F %T %s %%); null on mismatch. */
    static @Nullable Long strptime(String text, String format) {
        String fmt = format.replace("%F", "%Y-%m-%d").replace("%T", "%H:%M:%S");
        int[] f = {1970, 1, 1, 0, 0, 0, 0, 0, -1}; // year month day hour minute second nanos offsetSecs pm(-1 none)
        int doy = -1;
        Long epochSeconds = null;
        int[] pos = {0};
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                if (pos[0] >= text.length() || text.charAt(pos[0]) != c) return null;
                pos[0]++;
                continue;
            }
            if (++i >= fmt.length()) return null;
            char spec = fmt.charAt(i);
            switch (spec) {
                case 'Y': {
                    Long v = digits(text, pos, 4, true);
                    if (v == null) return null;
                    f[0] = v.intValue();
                    break;
                }
                case 'y': {
                    Long v = digits(text, pos, 2, false);
                    if (v == null) return null;
                    f[0] = 2000 + v.intValue();
                    break;
                }
                case 'm': {
                    Long v = digits(text, pos, 2, false);
                    if (v == null) return null;
                    f[1] = v.intValue();
                    break;
                }
                case 'd':
                case 'e': {
                    if (spec == 'e' && pos[0] < text.length() && text.charAt(pos[0]) == ' ') pos[0]++;
                    Long v = digits(text, pos, 2, false);
                    if (v == null) return null;
                    f[2] = v.intValue();
                    break;
                }
                case 'H':
                case 'I': {
                    Long v = digits(text, pos, 2, false);
                    if (v == null) return null;
                    f[3] = v.intValue();
                    break;
                }
                case 'M': {
                    Long v = digits(text, pos, 2, false);
                    if (v == null) return null;
                    f[4] = v.intValue();
                    break;
                }
                case 'S': {
                    Long v = digits(text, pos, 2, false);
                    if (v == null) return null;
                    f[5] = v.intValue();
                    break;
                }
                case 'L': {
                    Long v = digits(text, pos, 3, false);
                    if (v == null) return null;
                    f[6] = v.intValue() * 1_000_000;
                    break;
                }
                case 'f': {
                    Long v = digits(text, pos, 9, false);
                    if (v == null) return null;
                    f[6] = v.intValue() * 1_000;
                    break;
                }
                case 'j': {
                    Long v = digits(text, pos, 3, false);
                    if (v == null) return null;
                    doy = v.intValue();
                    break;
                }
                case 'p': {
                    if (pos[0] + 2 > text.length()) return null;
                    String ap = text.substring(pos[0], pos[0] + 2).toUpperCase(Locale.ROOT);
                    if (!ap.equals("AM") && !ap.equals("PM")) return null;
                    f[8] = ap.equals("PM") ? 1 : 0;
                    pos[0] += 2;
                    break;
                }
                case 'b':
                case 'h':
                case 'B': {
                    int month = monthName(text, pos);
                    if (month < 0) return null;
                    f[1] = month;
                    break;
                }
                case 'z': {
                    if (pos[0] < text.length() && (text.charAt(pos[0]) == 'Z' || text.charAt(pos[0]) == 'z')) {
                        pos[0]++;
                        f[7] = 0;
                        break;
                    }
                    if (pos[0] >= text.length()) return null;
                    char sign = text.charAt(pos[0]);
                    if (sign != '+' && sign != '-') return null;
                    pos[0]++;
                    Long hh = digits(text, pos, 2, false);
                    if (hh == null) return null;
                    if (pos[0] < text.length() && text.charAt(pos[0]) == ':') pos[0]++;
                    Long mm = digits(text, pos, 2, false);
                    if (mm == null) return null;
                    f[7] = (sign == '-' ? -1 : 1) * (int) (hh * 3600 + mm * 60);
                    break;
                }
                case 's': {
                    Long v = digits(text, pos, 19, true);
                    if (v == null) return null;
                    epochSeconds = v;
                    break;
                }
                case '%':
                    if (pos[0] >= text.length() || text.charAt(pos[0]++) != '%') return null;
                    break;
                default:
                    return null;
            }
        }
        if (pos[0] != text.length()) return null;
        if (epochSeconds != null) return epochSeconds * 1000L;
        try {
            int hour = f[3];
            if (f[8] >= 0) {
                if (hour < 1 || hour > 12) return null;
                hour = hour % 12 + (f[8] == 1 ? 12 : 0);
            }
            LocalDate date = doy > 0 ? LocalDate.ofYearDay(f[0], doy) : LocalDate.of(f[0], f[1], f[2]);
            LocalDateTime ldt = date.atTime(hour, f[4], f[5], f[6]);
            return ldt.toInstant(ZoneOffset.ofTotalSeconds(f[7])).toEpochMilli();
        } catch (DateTimeException invalid) {
            return null;
        }
    }

    private static @Nullable Long digits(String text, int[] pos, int max, boolean signed) {
        int start = pos[0], i = start;
        boolean neg = false;
        if (signed && i < text.length() && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
            neg = text.charAt(i) == '-';
            i++;
        }
        int digitsStart = i;
        while (i < text.length() && i - digitsStart < max && Character.isDigit(text.charAt(i))) i++;
        if (i == digitsStart) return null;
        pos[0] = i;
        long v = Long.parseLong(text.substring(digitsStart, i));
        return neg ? -v : v;
    }

    private static int monthName(String text, int[] pos) {
        for (java.time.Month m : java.time.Month.values()) {
            for (TextStyle style : new TextStyle[] {TextStyle.FULL, TextStyle.SHORT}) {
                String name = m.getDisplayName(style, Locale.ENGLISH);
                if (text.regionMatches(true, pos[0], name, 0, name.length())) {
                    pos[0] += name.length();
                    return m.getValue();
                }
            }
        }
        return -1;
    }
}
