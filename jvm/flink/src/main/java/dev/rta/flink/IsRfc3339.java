package dev.rta.flink;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * RTA_IS_RFC3339(s): whether s has the layout rta.events.TIMESTAMP_PATTERN accepts
 * (date, 'T', time, a fraction of 1 to 6 digits or none, then 'Z' or +HH:MM/-HH:MM),
 * fields in range but days up to 31 in every month: the calendar is RTA_EPOCH_MS's
 * check, so that a record breaking it gets its own reason.
 */
public final class IsRfc3339 extends ScalarFunction {

    public Boolean eval(String s) {
        if (s == null) {
            return null;
        }
        return Rfc3339.layoutOk(s);
    }
}
