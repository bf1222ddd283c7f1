package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.htmlunit.WebClient;

import java.util.List;

/** HtmlUnit browsers for the login pages behind the stack's nginx. */
final class Browsers {

    private Browsers() {
    }

    /**
     * A browser that trusts the stack's TLS CA and presents {@code device}'s certificate to nginx (none when null);
     * no JavaScript, and no exception on error statuses (a callback URL has no application behind it).
     */
    static WebClient with(Stack stack, Issued device) {
        WebClient browser = new WebClient();
        browser.getOptions().setSSLContext(device == null
                ? TlsHttp.sslContext(stack.serverTrust(), null, List.of())
                : TlsHttp.sslContext(stack.serverTrust(), device.keyPair().getPrivate(), List.of(device.cert())));
        browser.getOptions().setJavaScriptEnabled(false);
        browser.getOptions().setCssEnabled(false);
        browser.getOptions().setThrowExceptionOnFailingStatusCode(false);
        return browser;
    }
}
