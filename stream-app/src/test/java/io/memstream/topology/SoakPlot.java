package io.memstream.topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The soak samples as an SVG of four stacked panels (memory, descriptors and threads, throughput,
 * lag), written by hand: no plotting library is installed on these machines, and a browser shows it.
 */
final class SoakPlot {

    private static final int WIDTH = 900;
    private static final int PANEL = 170;
    private static final int LEFT = 70;
    private static final int RIGHT = 150;
    private static final int TOP = 40;

    private SoakPlot() { }

    private record Series(String label, String color, ToDoubleFunction<ReliabilitySoakTest.Sample> value) { }

    static String svg(List<ReliabilitySoakTest.Sample> samples, double warmupSeconds, String title) {
        List<Double> throughput = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            ReliabilitySoakTest.Sample b = samples.get(i);
            ReliabilitySoakTest.Sample a = samples.get(Math.max(0, i - 1));
            throughput.add(b.t() > a.t() ? (b.outputs() - a.outputs()) / (b.t() - a.t()) : 0.0);
        }
        StringBuilder out = new StringBuilder();
        int height = TOP + 4 * (PANEL + 40);
        out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
                + "<text x=\"%d\" y=\"22\" font-size=\"15\">%s</text>%n", WIDTH, height, LEFT, escape(title)));
        panel(out, 0, "memory (MB)", samples, warmupSeconds, List.of(
                new Series("RSS", "#c0392b", ReliabilitySoakTest.Sample::rssMb),
                new Series("heap used", "#2980b9", ReliabilitySoakTest.Sample::heapMb)));
        panel(out, 1, "open files / threads", samples, warmupSeconds, List.of(
                new Series("file descriptors", "#8e44ad", ReliabilitySoakTest.Sample::fds),
                new Series("threads", "#16a085", ReliabilitySoakTest.Sample::threads)));
        panel(out, 2, "continuations / s", samples, warmupSeconds, List.of(
                new Series("throughput", "#27ae60", s -> throughput.get(samples.indexOf(s)))));
        panel(out, 3, "lag (records)", samples, warmupSeconds, List.of(
                new Series("produced - continued", "#d35400", s -> s.produced() - s.outputs())));
        out.append("</svg>\n");
        return out.toString();
    }

    private static void panel(StringBuilder out, int index, String title, List<ReliabilitySoakTest.Sample> samples,
                              double warmup, List<Series> series) {
        int y0 = TOP + index * (PANEL + 40) + 20;
        int w = WIDTH - LEFT - RIGHT;
        double tMax = Math.max(1, samples.get(samples.size() - 1).t());
        double vMax = 0;
        for (Series s : series) {
            for (ReliabilitySoakTest.Sample p : samples) {
                vMax = Math.max(vMax, s.value().applyAsDouble(p));
            }
        }
        vMax = vMax <= 0 ? 1 : vMax * 1.1;
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n", LEFT, y0 - 6,
                escape(title)));
        out.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#999\"/>%n", LEFT, y0, w, PANEL));
        for (int k = 0; k <= 4; k++) {
            double v = vMax * k / 4;
            double y = y0 + PANEL - PANEL * k / 4.0;
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>%n",
                    LEFT - 4, y + 4, v));
        }
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f s</text>%n",
                LEFT + w, y0 + PANEL + 14, tMax));
        double wx = LEFT + w * Math.min(1, warmup / tMax);
        out.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#bbb\" "
                + "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" fill=\"#888\">warm-up</text>%n",
                wx, y0, wx, y0 + PANEL, wx - 50, y0 + PANEL + 14));
        int legend = 0;
        for (Series s : series) {
            StringBuilder points = new StringBuilder();
            for (ReliabilitySoakTest.Sample p : samples) {
                double x = LEFT + w * p.t() / tMax;
                double y = y0 + PANEL - PANEL * s.value().applyAsDouble(p) / vMax;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            out.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
                    + "points=\"%s\"/>%n", s.color(), points.toString().trim()));
            out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>%n", LEFT + w + 8,
                    y0 + 14 + 16 * legend++, s.color(), escape(s.label())));
        }
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
