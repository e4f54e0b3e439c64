package dev.rta.flink;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * RTA_EPOCH_MS(s): the instant of an RFC 3339 timestamp as epoch milliseconds (the
 * offset applied, the fraction truncated to milliseconds, proleptic Gregorian
 * calendar, as Python's datetime reads it), or NULL when s does not have the layout
 * of RTA_IS_RFC3339 or names a day that does not exist (year 0, February 30).
 *
 * <p>Replaces UNIX_TIMESTAMP (a SimpleDateFormat per call, lenient about days past
 * the month's end) plus REGEXP_REPLACE and REGEXP_EXTRACT for the fraction.
 */
public final class EpochMs extends ScalarFunction {

    public Long eval(String s) {
        if (s == null || !Rfc3339.layoutOk(s)) {
            return null;
        }
        return Rfc3339.epochMillis(s);
    }
}
