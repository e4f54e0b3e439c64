package dev.rta.flink;

/**
 * Hand-written checks for the contract's two patterns (rta.events). Each method
 * accepts exactly the strings the pattern accepts; the pipeline's contract tests
 * hold them to the Python side record by record.
 */
final class Rfc3339 {

    private Rfc3339() {}

    private static final int UUID_LENGTH = 36;

    /** The 32 positions of a UUID's hex digits (the other 4 hold dashes). */
    private static final int[] UUID_DIGITS = new int[32];

    /** 0 for the characters 0-9 and a-f, 1 for any other of the first 256. */
    private static final int[] NOT_HEX = new int[256];

    static {
        for (int i = 0, n = 0; i < UUID_LENGTH; i++) {
            if (i != 8 && i != 13 && i != 18 && i != 23) {
                UUID_DIGITS[n++] = i;
            }
        }
        java.util.Arrays.fill(NOT_HEX, 1);
        for (char c : "0123456789abcdef".toCharArray()) {
            NOT_HEX[c] = 0;
        }
    }

    static boolean isUuid(String s) {
        if (s.length() != UUID_LENGTH || s.charAt(8) != '-' || s.charAt(13) != '-'
                || s.charAt(18) != '-' || s.charAt(23) != '-') {
            return false;
        }
        // Without a branch per digit: ids are random, so "digit or letter?" would be
        // mispredicted half of the time (eight times slower, measured on random ids).
        int bad = 0;
        for (int i : UUID_DIGITS) {
            char c = s.charAt(i);
            bad |= (c >>> 8) | NOT_HEX[c & 0xFF];
        }
        return bad == 0;
    }

    private static boolean digit(String s, int i) {
        char c = s.charAt(i);
        return c >= '0' && c <= '9';
    }

    /** The two-digit number at i, or -1 when either character is not a digit. */
    private static int two(String s, int i) {
        if (!digit(s, i) || !digit(s, i + 1)) {
            return -1;
        }
        return (s.charAt(i) - '0') * 10 + (s.charAt(i + 1) - '0');
    }

    /** Index just past the fraction (".d" to ".dddddd"), or 19 when there is none; -1 if malformed. */
    private static int fractionEnd(String s) {
        int n = s.length();
        if (n == 19 || s.charAt(19) != '.') {
            return 19;
        }
        int i = 20;
        while (i < n && i < 26 && digit(s, i)) {
            i++;
        }
        return i == 20 ? -1 : i;
    }

    static boolean layoutOk(String s) {
        int n = s.length();
        // The shortest is "YYYY-MM-DDTHH:MM:SSZ".
        if (n < 20) {
            return false;
        }
        for (int i = 0; i < 4; i++) {
            if (!digit(s, i)) {
                return false;
            }
        }
        if (s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return false;
        }
        int month = two(s, 5);
        int day = two(s, 8);
        int hour = two(s, 11);
        int minute = two(s, 14);
        int second = two(s, 17);
        if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return false;
        }
        int i = fractionEnd(s);
        if (i < 0 || i >= n) {
            return false;
        }
        char zone = s.charAt(i);
        if (zone == 'Z') {
            return i + 1 == n;
        }
        if ((zone != '+' && zone != '-') || i + 6 != n || s.charAt(i + 3) != ':') {
            return false;
        }
        int offsetHours = two(s, i + 1);
        int offsetMinutes = two(s, i + 4);
        return offsetHours >= 0 && offsetHours <= 23 && offsetMinutes >= 0 && offsetMinutes <= 59;
    }

    private static boolean leap(int year) {
        return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    }

    private static int daysInMonth(int year, int month) {
        switch (month) {
            case 2:
                return leap(year) ? 29 : 28;
            case 4:
            case 6:
            case 9:
            case 11:
                return 30;
            default:
                return 31;
        }
    }

    /** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
    private static long epochDay(int year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }

    /** The instant of a string whose layout is checked, or null for a day that does not exist. */
    static Long epochMillis(String s) {
        int year = (s.charAt(0) - '0') * 1000 + (s.charAt(1) - '0') * 100 + two(s, 2);
        int month = two(s, 5);
        int day = two(s, 8);
        if (year == 0 || day > daysInMonth(year, month)) {
            return null;
        }
        long seconds = epochDay(year, month, day) * 86_400L
                + two(s, 11) * 3_600L + two(s, 14) * 60L + two(s, 17);
        int i = fractionEnd(s);
        long millis = 0;
        for (int k = 20, scale = 100; k < Math.min(i, 23); k++, scale /= 10) {
            millis += (s.charAt(k) - '0') * scale;
        }
        char zone = s.charAt(i);
        if (zone != 'Z') {
            long offset = two(s, i + 1) * 3_600L + two(s, i + 4) * 60L;
            seconds += zone == '+' ? -offset : offset;
        }
        return seconds * 1000 + millis;
    }
}
