package io.memstream.topology;

/**
 * Runs the long reliability tests outside Maven, on a snapshot of the compiled classes
 * (tools/reliability/*.sh), so a 30-minute soak does not hold, or trip over, the build directory
 * that other builds use. Args: {@code crash} or {@code soak}; sizes come from the environment as
 * in the tests. Exit code 0 when the test's assertions held.
 */
public final class ReliabilityMain {

    private ReliabilityMain() { }

    public static void main(String[] args) throws Exception {
        try {
            switch (args.length == 1 ? args[0] : "") {
                case "crash" -> new ReliabilityCrashTest().everyContinuationOnceAndEveryMemoryEqualUnderKillsAndABrokerRestart();
                case "soak" -> new ReliabilitySoakTest().steadyLoadWithGenerationSampled();
                default -> {
                    System.err.println("usage: ReliabilityMain crash|soak");
                    System.exit(2);
                }
            }
        } catch (AssertionError e) {
            System.out.println("FAILED: " + e.getMessage());
            System.exit(1);
        }
        System.exit(0);
    }
}
