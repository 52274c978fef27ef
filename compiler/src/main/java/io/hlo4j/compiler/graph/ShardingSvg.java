package io.hlo4j.compiler.graph;

import java.util.List;
import java.util.Locale;

/** SVG pictures of sharding layouts: one grid per tensor, a block per cell, coloured by the set of devices holding it. */
public final class ShardingSvg {
    private ShardingSvg() {}

    /** A titled layout. */
    public record Item(String title, ShardingLayout layout) {}

    private static final int CELL_W = 110, CELL_H = 46, GAP = 36, TITLE = 22, MARGIN = 12;

    public static String render(List<Item> items) {
        int width = MARGIN * 2 + 360;
        int height = MARGIN;
        for (Item it : items) {
            width = Math.max(width, MARGIN * 2 + it.layout.cols() * CELL_W);
            height += TITLE + it.layout.rows() * CELL_H + GAP;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"").append(height)
                .append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" font-family=\"Helvetica, Arial, sans-serif\">\n");
        int y = MARGIN;
        for (Item it : items) {
            ShardingLayout l = it.layout;
            sb.append("  <text x=\"").append(MARGIN).append("\" y=\"").append(y + 15).append("\" font-size=\"13\" font-weight=\"bold\">")
                    .append(escape(it.title)).append("</text>\n");
            y += TITLE;
            for (int r = 0; r < l.rows(); r++) {
                for (int c = 0; c < l.cols(); c++) {
                    List<Long> devs = l.devicesAt(r, c);
                    int x = MARGIN + c * CELL_W, cy = y + r * CELL_H;
                    sb.append("  <g class=\"block\" data-row=\"").append(r).append("\" data-col=\"").append(c).append("\">\n");
                    sb.append("    <rect x=\"").append(x).append("\" y=\"").append(cy).append("\" width=\"").append(CELL_W)
                            .append("\" height=\"").append(CELL_H).append("\" fill=\"").append(color(devs, r * l.cols() + c))
                            .append("\" stroke=\"#333333\" stroke-width=\"1\"/>\n");
                    sb.append("    <text x=\"").append(x + CELL_W / 2).append("\" y=\"").append(cy + CELL_H / 2 + 5)
                            .append("\" font-size=\"12\" text-anchor=\"middle\">dev ").append(escape(ShardingLayout.deviceList(devs)))
                            .append("</text>\n");
                    sb.append("  </g>\n");
                }
            }
            y += l.rows() * CELL_H + GAP;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** A light colour per block, spread around the hue circle by the golden angle. */
    private static String color(List<Long> devices, int block) {
        double hue = (block * 137.508) % 360;
        return String.format(Locale.ROOT, "hsl(%.0f, 65%%, 82%%)", hue);
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
