package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.keycloak.diagnostics.DaneConsoleProviderFactory;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.UserRepresentation;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.ZONE;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The DANE console page ({@code /realms/{realm}/dane-console/}) and the admin console pages the admin guide shows,
 * in a real browser: Debian's Chromium, headless, driven by its own chromedriver. A realm admin signs into Keycloak's
 * admin console, opens the page (which signs in through the same session), sees the realm's DANE clients and users,
 * a known client's {@code SECURE} answer and certificate match, and why an unknown name fails; an account without
 * realm-management roles sees the 403. With {@code -Ddane.screenshots=DIR} (scripts/screenshots.sh) every step the
 * admin guide pictures is also written to {@code DIR} as a PNG; the walk and its checks run either way, so the
 * pictures show pages that this test has just seen working.
 */
@ExtendWith(SharedStack.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaneConsoleIT {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String PASSWORD = "console-Passw0rd";
    private static final String ADMIN = "console-admin";
    private static final String NOBODY = "console-nobody";
    private static final String CLIENT = "console7";
    private static final String CLIENT_NAME = "Console test sensor";
    private static final String KNOWN = "console7._device.example.test";
    private static final String USER = "console-carol";
    private static final String USER_NAME = "carol-tablet._user.example.test";
    // under a label nothing else publishes at (other classes put wildcards at *._device)
    private static final String UNKNOWN = "nobody-here._console.example.test";
    private static final Duration WAIT = Duration.ofSeconds(90);

    private static Stack stack;
    private static Issued device;
    private static WebDriver browser;
    private static Path screenshots;

    @BeforeAll
    static void realmAndBrowser(Stack shared) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium and its driver are not installed (" + CHROMIUM + ", " + CHROMEDRIVER
                        + "): scripts/install-deps.sh installs them");
        stack = shared;
        RealmResource realm = stack.admin().realm(REALM);
        device = TestPki.leaf(CLIENT).build();
        stack.knot().replace(ZONE, KNOWN + ". " + KnotDns.MAX_TTL + " IN TLSA " + daneEe(device.cert()));
        daneClient(stack.admin(), CLIENT, KNOWN);
        ClientRepresentation client = realm.clients().findByClientId(CLIENT).get(0);
        client.setName(CLIENT_NAME);
        realm.clients().get(client.getId()).update(client);
        if (realm.users().searchByUsername(USER, true).isEmpty()) {
            UserRepresentation carol = new UserRepresentation();
            carol.setUsername(USER);
            carol.setEnabled(true);
            carol.setEmail(USER + "@example.test");
            carol.setFirstName("Carol");
            carol.setLastName("Tablet");
            carol.setAttributes(Map.of("dane_clientid", List.of(USER_NAME)));
            DaneScenarios.createdId(realm.users().create(carol));
        }
        DaneScenarios.realmUser(realm, ADMIN, PASSWORD, "realm-admin");
        DaneScenarios.realmUser(realm, NOBODY, PASSWORD);
        String dir = System.getProperty("dane.screenshots", "");
        screenshots = dir.isBlank() ? null : Files.createDirectories(Path.of(dir));
        browser = chromium();
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    /** Debian's Chromium through Debian's chromedriver, both named explicitly: no Selenium Manager, no download. */
    static WebDriver chromium() throws IOException {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--lang=en-US", "--hide-scrollbars",
                "--user-data-dir=" + Files.createTempDirectory("dane-chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        // --window-size includes the browser's frame: make the page itself 1280x800, the screenshots' size
        long frame = (Long) driver.executeScript("return window.outerHeight - window.innerHeight");
        driver.manage().window().setSize(new Dimension(1280, 800 + (int) frame));
        return driver;
    }

    @Test
    @Order(1)
    void aRealmAdminSignsIntoTheAdminConsole() throws Exception {
        browser.get(stack.keycloak().baseUri() + "/admin/" + REALM + "/console/");
        signIn(ADMIN);
        waitForText("Realm settings");
        assertThat(browser.getCurrentUrl()).contains("/admin/" + REALM + "/console/");
    }

    @Test
    @Order(2)
    void theConsolePageListsTheRealmsDaneClientsAndUsersByName() throws Exception {
        openConsolePage();
        WebElement row = new WebDriverWait(browser, WAIT).until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#clients tr[data-client-id='" + CLIENT + "']")));
        assertThat(cells(row)).containsExactly(CLIENT, CLIENT_NAME, KNOWN, "client-dane", "yes");
        assertThat(browser.findElement(By.cssSelector("#clients tr[data-client-id='sensor7']")).getText())
                .as("the realm-config device").contains("sensor7._device.example.test");
        WebElement carol = browser.findElement(By.cssSelector("#users tr[data-username='" + USER + "']"));
        assertThat(cells(carol)).containsExactly(USER, USER_NAME, "yes");
        assertThat(browser.findElement(By.id("execution")).getText()).as("the realm's auth-dane executions")
                .contains("auth-dane in dane browser (dane-browser)", "auth-dane in dane direct grant");
    }

    @Test
    @Order(3)
    void aKnownClientIsSecureAndItsCertificateMatches() throws Exception {
        openConsolePage();
        // its name in the list diagnoses it: DNS only, no certificate yet
        waitFor(By.cssSelector("#clients tr[data-client-id='" + CLIENT + "'] button.name")).click();
        assertThat(verdictFor(KNOWN)).isEqualTo("SECURE, 1 usable record(s); add a certificate to try a match");
        assertThat(step("Clients carrying it")).isEqualTo(CLIENT);
        assertThat(step("Usable TLSA records")).startsWith("3 1 1 ");

        browser.findElement(By.id("pem")).sendKeys(TestPki.pem(List.of(device.cert())));
        browser.findElement(By.id("run")).click();
        assertThat(verdictFor(KNOWN, "match")).isEqualTo("SECURE, match 3 1 1 at depth 0");
        assertThat(browser.findElement(By.id("verdict")).getDomAttribute("class")).isEqualTo("ok");
        assertThat(step("Match")).isEqualTo("3 1 1 at depth 0");
        snap("console-known-client");

        browser.findElement(By.id("pem")).clear();
        browser.findElement(By.id("pem")).sendKeys(TestPki.pem(List.of(TestPki.leaf(CLIENT).build().cert())));
        browser.findElement(By.id("run")).click();
        assertThat(verdictFor(KNOWN, "no match")).startsWith("SECURE, no match: NO_MATCH");
        assertThat(browser.findElement(By.id("verdict")).getDomAttribute("class")).isEqualTo("fail");
    }

    @Test
    @Order(4)
    void anUnknownNameShowsWhyItFails() throws Exception {
        openConsolePage();
        diagnoseTyped(UNKNOWN);
        // a realm admin: a name no client or user of the realm carries is not looked up (only for a master admin)
        assertThat(verdictFor(UNKNOWN)).startsWith("Refused before any DNS query: ").contains("master realm");
        assertThat(browser.findElement(By.id("verdict")).getDomAttribute("class")).isEqualTo("fail");
        assertThat(step("Clients carrying it")).isEqualTo("none (a login with it is refused before any DNS query)");
        assertThat(step("Cache")).startsWith("not shown: ");
        snap("console-unknown-name");

        diagnoseTyped("device.elsewhere.test");
        assertThat(verdictFor("device.elsewhere.test")).startsWith("Refused before any DNS query: ")
                .contains("allow list");
        diagnoseTyped("bad name..test");
        assertThat(verdictFor("bad name..test")).startsWith("Invalid name: ");
    }

    @Test
    @Order(5)
    void theAdminConsolePagesOfTheGuideShowDanesSettings() throws Exception {
        RealmResource realm = stack.admin().realm(REALM);
        String console = stack.keycloak().baseUri() + "/admin/" + REALM + "/console/#/" + REALM;

        browser.get(console + "/authentication");
        waitFor(By.linkText("dane clients")).click();
        waitForText("DANE (TLSA in DNSSEC)");
        snap("client-authentication-flow");

        String sensor = realm.clients().findByClientId("sensor7").get(0).getId();
        browser.get(console + "/clients/" + sensor + "/credentials");
        waitForText("DANE client identity");
        // the credentials tab shows the client's DANE identity (the wait fails the test when it never does)
        Boolean shown = new WebDriverWait(browser, WAIT).until(d -> d.findElements(By.tagName("input")).stream()
                .anyMatch(i -> "sensor7._device.example.test".equals(i.getDomProperty("value"))));
        assertThat(shown).isTrue();
        snap("client-credentials");

        browser.get(console + "/authentication");
        waitFor(By.linkText("dane browser")).click();
        waitForText("DANE device identity");
        snap("browser-flow");
        // the execution's gear icon (the admin console labels it "Settings") opens its settings
        browser.findElement(By.xpath("//*[text()='DANE device identity']/ancestor::*[.//button[@aria-label="
                + "'Settings']][1]//button[@aria-label='Settings']")).click();
        waitForText("Identity source");
        Boolean settingsShown = new WebDriverWait(browser, WAIT).until(d -> d.findElements(By.tagName("input"))
                .stream().anyMatch(i -> "dane-browser".equals(i.getDomProperty("value"))));
        assertThat(settingsShown).as("the settings of realm-config's dane-browser").isTrue();
        snap("auth-dane-settings");
        browser.get(console + "/authentication");
        waitFor(By.linkText("dane direct grant")).click();
        waitForText("DANE device identity");
        snap("direct-grant-flow");

        String scope = realm.clientScopes().findAll().stream().filter(s -> s.getName().equals("dane")).findFirst()
                .orElseThrow().getId();
        browser.get(console + "/client-scopes/" + scope + "/mappers");
        waitFor(By.linkText("dane_clientid")).click();
        waitForText("User Session Note");
        snap("claim-mapper");

        // the newest events (the list shows a page of them): a success and a refusal
        assertThat(clientCredentials(stack, device(stack, device), "client_id", CLIENT).status()).isEqualTo(200);
        assertThat(clientCredentials(stack, device(stack, TestPki.leaf(CLIENT).build()), "client_id", CLIENT)
                .status()).isEqualTo(401);
        browser.get(console + "/events");
        waitForText("CLIENT_LOGIN_ERROR");
        assertThat(browser.findElement(By.tagName("body")).getText()).as("the success too")
                .containsPattern("CLIENT_LOGIN(?!_)");
        List<WebElement> toggles = browser.findElements(By.cssSelector("[class*='c-table__toggle'] button"));
        assertThat(toggles).as("each event row can be expanded").isNotEmpty();
        toggles.get(0).click(); // the newest row, the refusal: its details
        waitForText("NO_MATCH");
        snap("events");
    }

    @Test
    @Order(6)
    void anAccountWithoutRealmManagementRolesIsRefused() throws Exception {
        openConsolePage();
        browser.findElement(By.id("sign-out")).click();
        // Keycloak asks to confirm a logout that carries no ID token; then it returns to the page, which signs in
        waitFor(By.id("kc-logout")).click();
        signIn(NOBODY);
        WebElement status = new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#status.error")));
        assertThat(status.getText()).startsWith("HTTP 403: ").contains("view-clients");
        assertThat(browser.findElement(By.id("identities")).isDisplayed()).isFalse();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** The page, signed in through the browser's Keycloak session (no login form: the admin console's SSO). */
    private static void openConsolePage() {
        browser.get(stack.keycloak().baseUri() + "/realms/" + REALM + "/" + DaneConsoleProviderFactory.PROVIDER_ID);
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(By.id("identities")));
        assertThat(browser.getCurrentUrl()).as("the code is gone from the address")
                .isEqualTo(stack.keycloak().baseUri() + "/realms/" + REALM + "/dane-console/");
        assertThat(browser.findElement(By.id("who")).getText()).isEqualTo("signed in as " + ADMIN);
    }

    /** Keycloak's login form (the dane realm's browser flow falls through to it without a client certificate). */
    private static void signIn(String username) {
        waitFor(By.id("username")).sendKeys(username);
        browser.findElement(By.id("password")).sendKeys(PASSWORD);
        browser.findElement(By.id("kc-login")).click();
    }

    private static void diagnoseTyped(String name) {
        WebElement field = waitFor(By.id("name"));
        field.clear();
        field.sendKeys(name);
        browser.findElement(By.id("pem")).clear();
        browser.findElement(By.id("run")).click();
    }

    /**
     * The verdict once the result for {@code name} (and, when given, containing {@code expected}) is shown; the
     * page clears the last result when a diagnosis starts, so this is the new one.
     */
    private static String verdictFor(String name, String... expected) {
        return new WebDriverWait(browser, WAIT).until(d -> {
            String shown = d.findElement(By.id("result-name")).getText();
            String verdict = d.findElement(By.id("verdict")).getText();
            boolean complete = name.equals(shown) && !verdict.isBlank()
                    && List.of(expected).stream().allMatch(verdict::contains);
            return complete ? verdict : null;
        });
    }

    /** The value of a row of the result's steps table. */
    private static String step(String label) {
        for (WebElement row : browser.findElements(By.cssSelector("#steps tr"))) {
            if (row.findElement(By.tagName("th")).getText().equals(label)) {
                return row.findElement(By.tagName("td")).getText();
            }
        }
        throw new AssertionError("no step " + label + " in " + browser.findElement(By.id("steps")).getText());
    }

    private static List<String> cells(WebElement row) {
        return row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
    }

    private static WebElement waitFor(By locator) {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.elementToBeClickable(locator));
    }

    private static void waitForText(String text) {
        try {
            new WebDriverWait(browser, WAIT).until(d -> d.findElement(By.tagName("body")).getText().contains(text));
        } catch (TimeoutException e) {
            String shown = browser.findElement(By.tagName("body")).getText();
            throw new AssertionError("no \"" + text + "\" on " + browser.getCurrentUrl() + " after " + WAIT
                    + "; it shows: " + shown.substring(0, Math.min(shown.length(), 2000)), e);
        }
    }

    /** With -Ddane.screenshots=DIR: the browser's viewport as DIR/NAME.png, once the page has stopped moving. */
    private static void snap(String name) throws Exception {
        if (screenshots == null) {
            return;
        }
        new WebDriverWait(browser, WAIT).until(d -> "complete".equals(
                ((JavascriptExecutor) d).executeScript("return document.readyState")));
        Thread.sleep(1500); // the admin console's transitions and spinners
        byte[] png = ((ChromeDriver) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(screenshots.resolve(name + ".png"), png);
    }
}
