package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Date and time functions; "now" is Eval.NOW = 2024-06-01T12:00:00Z (1717243200000). */
class DateFunctionsTest {

    static final String DOC = "{'created': '2024-01-31T10:15:30.250Z', 'ms': 1706696130250, 'day': '2024-02-29', "
            + "'local': '2024-03-10 08:00:00', 'shifted': '2024-03-10T08:00:00+02:00', 'bad': 'yesterday'}";

    private static String eval(String expr) {
        return Eval.dql(Eval.eval(expr, DOC));
    }

    @ParameterizedTest(name = "{0} => {1}")
    @CsvSource(
            delimiterString = " => ",
            quoteCharacter = '~',
            value = {
                "clock() => '2024-06-01T12:00:00.000Z'",
                "now_str() => '2024-06-01T12:00:00.000Z'",
                "now_millis() => 1717243200000",
                "millis(created) => 1706696130250",
                "millis(day) => 1709164800000",
                "millis(local) => 1710057600000",
                "millis(shifted) => 1710050400000",
                "str_to_millis(bad) => NULL",
                // date_add / date_sub keep the representation of their input
                "date_add(created, 1, 'day') => '2024-02-01T10:15:30.250Z'",
                "date_add(created, 1, 'month') => '2024-02-29T10:15:30.250Z'",
                "date_add(created, 1, 'year') => '2025-01-31T10:15:30.250Z'",
                "date_add(created, 1, 'quarter') => '2024-04-30T10:15:30.250Z'",
                "date_add(created, -90, 'minutes') => '2024-01-31T08:45:30.250Z'",
                "date_add(created, 2, 'WEEKS') => '2024-02-14T10:15:30.250Z'",
                "date_add(created, 750, 'ms') => '2024-01-31T10:15:31.000Z'",
                "date_add(ms, 1, 'second') => 1706696131250",
                "date_add(day, 1, 'year') => '2025-02-28T00:00:00.000Z'",
                "date_sub(clock(), 30, 'day') => '2024-05-02T12:00:00.000Z'",
                "date_sub(created, 1, 'hour') => '2024-01-31T09:15:30.250Z'",
                "date_add(created, 1, 'fortnight') => NULL",
                "date_add(created, 1.5, 'day') => NULL",
                "date_add(bad, 1, 'day') => NULL",
                "date_add(nope, 1, 'day') => MISSING",
                "date_add(9223372036854775807, 1, 'day') => NULL",
                // date_diff(d1, d2, unit) = d1 - d2
                "date_diff(clock(), created, 'day') => 122",
                "date_diff(created, clock(), 'day') => -122",
                "date_diff(clock(), created, 'month') => 4",
                "date_diff(clock(), created, 'year') => 0",
                "date_diff(clock(), '2020-06-01', 'year') => 4",
                "date_diff(clock(), '2020-06-02', 'year') => 3",
                "date_diff(clock(), created, 'hours') => 2929",
                "date_diff(ms, created, 'ms') => 0",
                "date_diff(clock(), created, 'quarter') => 1",
                "date_diff(clock(), bad, 'day') => NULL",
                // date_part
                "date_part(created, 'year') => 2024",
                "date_part(created, 'month') => 1",
                "date_part(created, 'day') => 31",
                "date_part(created, 'hour') => 10",
                "date_part(created, 'minute') => 15",
                "date_part(created, 'second') => 30",
                "date_part(created, 'millisecond') => 250",
                "date_part(created, 'dow') => 3",
                "date_part(created, 'doy') => 31",
                "date_part(created, 'week') => 5",
                "date_part(created, 'quarter') => 1",
                "date_part(created, 'epoch') => 1706696130",
                "date_part(created, 'hour', 'Asia/Tokyo') => 19",
                "date_part(created, 'hour', '+05:30') => 15",
                "date_part(created, 'hour', 'Mars/Olympus') => NULL",
                "date_part(created, 'century') => NULL",
                // date_trunc
                "date_trunc(created, 'day') => '2024-01-31T00:00:00.000Z'",
                "date_trunc(created, 'month') => '2024-01-01T00:00:00.000Z'",
                "date_trunc(created, 'year') => '2024-01-01T00:00:00.000Z'",
                "date_trunc(created, 'hour') => '2024-01-31T10:00:00.000Z'",
                "date_trunc(created, 'week') => '2024-01-29T00:00:00.000Z'",
                "date_trunc(clock(), 'quarter') => '2024-04-01T00:00:00.000Z'",
                "date_trunc(ms, 'second') => 1706696130000",
                "date_trunc(created, 'day', 'America/New_York') => '2024-01-31T05:00:00.000Z'",
                // date_format (strftime)
                "date_format(created, '%Y-%m-%d') => '2024-01-31'",
                "date_format(created, '%F %T.%L') => '2024-01-31 10:15:30.250'",
                "date_format(created, '%B %d, %Y') => 'January 31, 2024'",
                "date_format(created, '%a %b %e %I:%M %p') => 'Wed Jan 31 10:15 AM'",
                "date_format(created, '%H:%M %Z %z') => '10:15 UTC +0000'",
                "date_format(created, '%H:%M %z', 'America/New_York') => '05:15 -0500'",
                "date_format(created, '%j %u %w %y %V %%') => '031 3 3 24 05 %'",
                "date_format(created, '%s') => '1706696130'",
                "date_format(ms, '%Y') => '2024'",
                "date_format(created, '%Q') => NULL",
                "date_format(created, 5) => NULL",
                // date_cast
                "date_cast(ms) => '2024-01-31T10:15:30.250Z'",
                "date_cast(local) => '2024-03-10T08:00:00.000Z'",
                "date_cast(shifted) => '2024-03-10T06:00:00.000Z'",
                "date_cast('31/01/2024', '%d/%m/%Y') => '2024-01-31T00:00:00.000Z'",
                "date_cast('01/31/2024 7:05 PM', '%m/%d/%Y %I:%M %p') => '2024-01-31T19:05:00.000Z'",
                "date_cast('2024-01-31T10:15:30+0100', '%Y-%m-%dT%H:%M:%S%z') => '2024-01-31T09:15:30.000Z'",
                "date_cast('2024-01-31 10:15:30', '%F %T') => '2024-01-31T10:15:30.000Z'",
                "date_cast('March 5 2024', '%B %d %Y') => '2024-03-05T00:00:00.000Z'",
                "date_cast('1706696130', '%s') => '2024-01-31T10:15:30.000Z'",
                "date_cast('2024-02-30', '%Y-%m-%d') => NULL",
                "date_cast('2024-01-31x', '%Y-%m-%d') => NULL",
                "date_cast('2024-01-31', '%Y-%q') => NULL",
                "date_cast(bad) => NULL",
                // tz_offset
                "tz_offset(created, 'America/New_York') => '2024-01-31T05:15:30.250-05:00'",
                "tz_offset(created, 'UTC') => '2024-01-31T10:15:30.250Z'",
                "tz_offset(created, 'nowhere') => NULL",
            })
    void evaluates(String expr, String expected) {
        assertThat(eval(expr)).isEqualTo(expected);
    }

    @Test
    void canonicalStringsSortChronologically() {
        assertThat(Eval.dql(Eval.value("date_add('2024-01-01T00:00:00Z', 500, 'ms') > '2024-01-01T00:00:00.000Z'")))
                .isEqualTo("TRUE");
        assertThat(Eval.dql(Eval.value("date_sub(clock(), 1, 'day') < clock()")))
                .isEqualTo("TRUE");
    }

    @Test
    void clockComesFromTheContextOnly() {
        Node n = Parser.parseExpression("clock()");
        assertThat(n.eval(new Env(EvalContext.at(0), 0)))
                .isEqualTo(io.starling.internal.core.Value.of("1970-01-01T00:00:00.000Z"));
        assertThat(n.eval(new Env(EvalContext.at(86_400_000L), 0)))
                .isEqualTo(io.starling.internal.core.Value.of("1970-01-02T00:00:00.000Z"));
    }
}
