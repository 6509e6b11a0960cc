package io.memstream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    void theEnvironmentNamesTheRevisionTheBenchScriptsPass() {
        String before = System.getProperty(BenchOutput.SOURCE_REV_PROPERTY);
        try {
            System.clearProperty(BenchOutput.SOURCE_REV_PROPERTY);
            assertFalse(BenchOutput.environment(List.of("bench")).containsKey("source_rev"));
            System.setProperty(BenchOutput.SOURCE_REV_PROPERTY, "5567049-dirty");
            assertEquals("5567049-dirty", BenchOutput.environment(List.of("bench")).get("source_rev"));
        } finally {
            if (before == null) {
                System.clearProperty(BenchOutput.SOURCE_REV_PROPERTY);
            } else {
                System.setProperty(BenchOutput.SOURCE_REV_PROPERTY, before);
            }
        }
    }

    @Test
    void aCpuinfoWithoutAModelNameOrNoneAtAllGivesNull() throws Exception {
        Path arm = Files.writeString(dir.resolve("cpuinfo"), "processor\t: 0\nBogoMIPS\t: 50.00\n");
        assertNull(BenchOutput.cpuModel(arm));
        assertNull(BenchOutput.cpuModel(dir.resolve("absent")));
    }
}
