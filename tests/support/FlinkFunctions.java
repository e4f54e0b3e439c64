// Runs rta's Flink SQL functions (jvm/flink/src) on strings from stdin, outside Flink,
// for tests/integration/test_flink_functions.py. Launched as a single source file
// (`java -cp <jars> FlinkFunctions.java`). Each input line is a string's UTF-8 bytes
// in hex; each output line is "<RTA_IS_UUID> <RTA_IS_RFC3339> <RTA_EPOCH_MS>", with
// 1/0 for the booleans and "null" for NULL.
import dev.rta.flink.EpochMs;
import dev.rta.flink.IsRfc3339;
import dev.rta.flink.IsUuid;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

public class FlinkFunctions {
    public static void main(String[] args) throws Exception {
        IsUuid uuid = new IsUuid();
        IsRfc3339 layout = new IsRfc3339();
        EpochMs epochMs = new EpochMs();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.US_ASCII);
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String s = new String(HexFormat.of().parseHex(line), StandardCharsets.UTF_8);
            out.println((uuid.eval(s) ? 1 : 0) + " " + (layout.eval(s) ? 1 : 0) + " " + epochMs.eval(s));
        }
        out.flush();
    }
}
