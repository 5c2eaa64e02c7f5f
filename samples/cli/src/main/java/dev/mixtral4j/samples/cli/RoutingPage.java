package dev.mixtral4j.samples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The self-contained HTML page of {@code mixtral4j routing --html}: the routing document (the
 * same as {@code --json}) embedded in a page whose script colours each token by its first-choice
 * expert in the selected layer (the Mixtral paper's Figure 8) and draws the usage charts and the
 * consecutive-token table. Nothing is loaded from the network.
 */
final class RoutingPage {
    private RoutingPage() {
    }

    static String render(Map<String, Object> document) {
        String template;
        try (InputStream in = RoutingPage.class.getResourceAsStream("routing-page.html")) {
            if (in == null) {
                throw new IllegalStateException("routing-page.html missing from the mixtral4j jar");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // "</" would end the script element early; "<\/" means the same in JSON
        // (and "<!--" would change how it is parsed); both only occur inside JSON strings, where
        // these escapes mean the same characters
        String json = Json.write(document).replace("</", "<\\/").replace("<!--", "\\u003c!--");
        String title = escape(String.valueOf(document.get("model")));
        // markers replaced by position, so that nothing in the data is ever taken for a marker
        int t = template.indexOf("__TITLE__");
        int d = template.indexOf("__DATA__");
        if (t < 0 || d < t) {
            throw new IllegalStateException("routing-page.html lacks its markers");
        }
        return template.substring(0, t) + title + template.substring(t + "__TITLE__".length(), d) + json
                + template.substring(d + "__DATA__".length());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
