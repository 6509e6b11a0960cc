package io.memstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchOutputTest {

    @TempDir
    Path dir;

    @Test
    void theCpuModelIsTheFirstProcessorsModelName() throws Exception {
        Path cpuinfo = Files.writeString(dir.resolve("cpuinfo"), """
                processor\t: 0
                vendor_id\t: AuthenticAMD
                model name\t: AMD EPYC 7B13
                flags\t\t: fpu vme
                
                processor\t: 1
                model name\t: Some Other CPU
                """);
        assertEquals("AMD EPYC 7B13", BenchOutput.cpuModel(cpuinfo));
    }

    @Test
    void aCpuinfoWithoutAModelNameOrNoneAtAllGivesNull() throws Exception {
        Path arm = Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\nBogoMIPS\t: 50.00\n");
        assertNull(BenchOutput.cpuModel(arm));
        assertNull(BenchOutput.cpuModel(dir.resolve("absent")));
    }
}
