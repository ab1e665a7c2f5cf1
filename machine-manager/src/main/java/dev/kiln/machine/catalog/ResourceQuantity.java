package dev.kiln.machine.catalog;

import java.math.BigDecimal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of CPU or memory as the catalog writes it, in Kubernetes' quantity syntax: a decimal number and an
 * optional suffix, binary ({@code Ki Mi Gi Ti Pi Ei}), decimal ({@code n u m k M G T P E}) or an exponent
 * ({@code e3}). Kiln's own small value, so the catalog and the local backend read sizes without the Kubernetes model;
 * the Kubernetes backend hands the catalog's text to the cluster as it is.
 *
 * @param text   as written ("500m", "16Gi")
 * @param amount in base units: cores for CPU, bytes for memory (0.5 for "500m", 17179869184 for "16Gi")
 */
public record ResourceQuantity(String text, BigDecimal amount) {

    // The exponent before the single-letter suffixes: "1E3" is 1000, "1E" one exabyte.
    private static final Pattern SYNTAX =
            Pattern.compile("([+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+))([eE][+-]?\\d+|[KMGTPE]i|[numkMGTPE])?");

    /** @throws IllegalArgumentException when the text is not a quantity, saying what one looks like */
    public static ResourceQuantity parse(String text) {
        Matcher m = text == null ? null : SYNTAX.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a Kubernetes quantity (for example \"4\", \"500m\", "
                    + "\"16Gi\")");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String suffix = m.group(2) == null ? "" : m.group(2);
        return new ResourceQuantity(text, number.multiply(multiplier(suffix)).stripTrailingZeros());
    }

    private static BigDecimal multiplier(String suffix) {
        if (suffix.length() > 1 && !suffix.endsWith("i")) { // e3, E-2
            return BigDecimal.ONE.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
        }
        return switch (suffix) {
            case "" -> BigDecimal.ONE;
            case "n" -> BigDecimal.ONE.scaleByPowerOfTen(-9);
            case "u" -> BigDecimal.ONE.scaleByPowerOfTen(-6);
            case "m" -> BigDecimal.ONE.scaleByPowerOfTen(-3);
            case "k" -> BigDecimal.ONE.scaleByPowerOfTen(3);
            case "M" -> BigDecimal.ONE.scaleByPowerOfTen(6);
            case "G" -> BigDecimal.ONE.scaleByPowerOfTen(9);
            case "T" -> BigDecimal.ONE.scaleByPowerOfTen(12);
            case "P" -> BigDecimal.ONE.scaleByPowerOfTen(15);
            case "E" -> BigDecimal.ONE.scaleByPowerOfTen(18);
            default -> BigDecimal.valueOf(2).pow(10 * (" KMGTPE".indexOf(suffix.charAt(0))));
        };
    }

    public boolean positive() {
        return amount.signum() > 0;
    }

    @Override
    public String toString() {
        return text;
    }
}
