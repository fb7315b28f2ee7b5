package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoSumDbTest {

    private static final String TEST_KEY = "sum.test+8bd400dc+ATQMefWcGAeJ26aJN3ItgqINdKg39Rr1AFhkrPZQMolv";
    /** Made by golang.org/x/mod/sumdb/note.GenerateKey. */
    private static final String CORP_KEY = "sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg";

    /** Made by note.GenerateKey for a database on port 8443, and one below a path there. */
    private static final String PORT_KEY =
            "sum.corp.example:8443+48f0b285+Acee9dc32B//ud/+cnh7IM0Fvetgw2UFUY/17Mw3vK5J";

    private static final String PORT_PATH_KEY =
            "sum.corp.example:8443/db+a0472560+AajTFYfD0c+H9lsrnojlk8K81BLci96Z8gBAN3uwgxSI";

    private static final Pattern CRD_RULE = Pattern.compile(GoSumDb.PATTERN);

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "sum.golang.org", GoSumDb.SUM_GOLANG_ORG_KEY})
    void theDefaultIsSumGolangOrgWithItsWellKnownKey(String setting) {
        GoSumDb parsed = GoSumDb.parse(setting);

        assertThat(parsed.key().orElseThrow().name()).isEqualTo("sum.golang.org");
        assertThat(parsed.key().orElseThrow()).hasToString(GoSumDb.SUM_GOLANG_ORG_KEY);
        assertThat(parsed.key().orElseThrow().hash()).isEqualTo(0x033de0ae);
        assertThat(parsed.url()).contains(URI.create("https://sum.golang.org"));
        assertThat(GoSumDb.parse(null).key().orElseThrow()).hasToString(GoSumDb.SUM_GOLANG_ORG_KEY);
    }

    @Test
    void theChinaMirrorNameIsSumGolangOrgServedFromTheMirror() {
        GoSumDb parsed = GoSumDb.parse("sum.golang.google.cn");

        assertThat(parsed.key().orElseThrow().name()).isEqualTo("sum.golang.org");
        assertThat(parsed.url()).contains(URI.create("https://sum.golang.google.cn"));
    }

    @Test
    void theWellKnownNameWithAnotherUrlKeepsTheKey() {
        GoSumDb parsed = GoSumDb.parse("sum.golang.org https://goproxy.example/sumdb/sum.golang.org/");

        assertThat(parsed.key().orElseThrow()).hasToString(GoSumDb.SUM_GOLANG_ORG_KEY);
        assertThat(parsed.url()).contains(URI.create("https://goproxy.example/sumdb/sum.golang.org"));
    }

    @Test
    void anotherDatabaseByItsKeyWithOrWithoutAUrl() {
        GoSumDb parsed = GoSumDb.parse(TEST_KEY + " \t http://127.0.0.1:9999");

        assertThat(parsed.key().orElseThrow().name()).isEqualTo("sum.test");
        assertThat(parsed.key().orElseThrow().ed25519PublicKey()).hasSize(32);
        assertThat(parsed.url()).contains(URI.create("http://127.0.0.1:9999"));
        assertThat(GoSumDb.parse(TEST_KEY).url()).contains(URI.create("https://sum.test"));
    }

    /** note.NewVerifier reads the hash with strconv.ParseUint(hash, 16, 32): upper and mixed case are the same key. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "sum.golang.org+033DE0AE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                "sum.golang.org+033De0aE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://goproxy.cn/sumdb/sum.golang.org"
            })
    void aKeyWhoseHashIsInUpperOrMixedCaseIsTheSameKey(String setting) {
        GoSumDb parsed = GoSumDb.parse(setting);

        assertThat(parsed.key().orElseThrow().name()).isEqualTo("sum.golang.org");
        assertThat(parsed.key().orElseThrow().hash()).isEqualTo(0x033de0ae);
        assertThat(parsed.key().orElseThrow().ed25519PublicKey())
                .isEqualTo(GoSumDb.parse(GoSumDb.SUM_GOLANG_ORG_KEY)
                        .key()
                        .orElseThrow()
                        .ed25519PublicKey());
        // kept as written: the build's go command is given the same text
        assertThat(parsed.key().orElseThrow().toString()).isEqualTo(setting.split(" ")[0]);
    }

    /** A database on another port than 443: the go command reaches it at https://name, port included. */
    @Test
    void aDatabaseNamedWithAPortIsReachedAtThatPort() {
        GoSumDb parsed = GoSumDb.parse(PORT_KEY);

        assertThat(parsed.key().orElseThrow().name()).isEqualTo("sum.corp.example:8443");
        assertThat(parsed.url()).contains(URI.create("https://sum.corp.example:8443"));
        assertThat(parsed.url().orElseThrow().getPort()).isEqualTo(8443);
        assertThat(GoSumDb.parse(PORT_PATH_KEY).url()).contains(URI.create("https://sum.corp.example:8443/db"));
        assertThat(GoSumDb.parse(PORT_KEY + " http://127.0.0.1:9999").url())
                .contains(URI.create("http://127.0.0.1:9999"));
    }

    /**
     * Keys made by note.GenerateKey, each the go command's note.NewVerifier takes, for names that are not
     * host[:port][/path] as GoSumDb reads it. The go command's own check (url.Parse("https://" + name)) takes the
     * first twelve too: refused here because the name is also a path element of the proxy's routes and storage and a
     * host Java must dial. It refuses the rest itself.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "sum.corp.example/../db+5bd93682+Afdu4M792TWUp0SRRKLv7h/nqgZR9skQBvtFVM9In/YF",
                "sum.corp.example/./db+a0f1de22+AVNDTaAfS9VWSomRN6wE/wxJJIleEUctExOyRKMAEnhd",
                "sum.corp.example//db+cb6ac456+AWmCJuXGkUI8X6Ga97Gyx/KLpXZiF1K8GQUAfGS27xm6",
                "sum.corp.example/.db+92b65b0e+AVPTfWrXQffWGFSemm2nZ4PLKXaq6E/X7VeHYHzxbmRT",
                "sum.corp.example:+e1c11fe1+AeAMrnP5JZLMGIv+1HG/CdOoLWc+6MaICMs8V5E1eRcG",
                "sum.corp.example:0+7e4a7f43+AZRkeSIGzIanc05OtuUsR6SbXf/sKVYGvCWo0u/m7QUX",
                "sum.corp.example:65536+48edcf96+AVn0TxsuOkM90Ybt8tAF0+yWZTA9ywRrPoMA8TYQ+GyF",
                "sum.corp.example:08443+816af552+AW3xP4r//KhFjg6FgwCH3+p1830U/WnoLOIrP9wMOj44",
                "sum_corp.example+ddb2fc6f+AcefutdN+KtXLwmUsuGuRSFVYHWSL2OWSh/tItE4hzOD",
                "[::1]:8443+6ab45cac+AZvudVyhCiHDkZSbJdPnig5qPUhlqHLelXNQ0Ie26rpL",
                "sum.bücher.example+2e965a3b+AeNl5PgxITZRhKhSKF8Q6m2OqVdDWW6sbDRnyntXuxeE",
                "sum!corp.example+48cf7cff+AX5HGcSokFS9jyL+e4gMCg4qh458N24KI1/TorjHlm1c",
                "sum%2Ecorp.example+cdd2c6a7+AS++p3SwNTu8Lf7fPuz1GMcfM4qohBfQRI///sjmlal9",
                "sum.corp.example?x+5dc74235+AYAS8uQrz5SNnB7SE2je5l5vnhzsSjSkKrrSPdsNWORc",
                "sum.corp.example#x+a6305c58+AX+oUcrIVsH3ahr19YTmzNKqPFNuldwAkU/RiXcwixTE",
                "sum\\corp.example+e2252107+ASn4YoBHE+SXoqhIDjotX+l4jwpDT1mpzgw3F+PxahrC",
                "sum.corp.example/+1e5bd6f8+AZV+1rZFSOcAk3IHd+LaW6GAy/LJOz6Z8jSEajf1Jlv4",
            })
    void aNameThatCouldEscapeOrConfuseAPathIsRefusedSayingWhatANameMayHold(String key) {
        String name = key.substring(0, key.indexOf('+'));

        assertThatThrownBy(() -> GoSumDb.parse(key))
                .isInstanceOf(GoSumDb.InvalidException.class)
                // (the value as shown: a '?' or '#' and what follows, as in a URL's query, hidden)
                .hasMessageStartingWith("\"" + name)
                .hasMessageEndingWith("\" names the database " + name + ", which is not host[:port][/path] (a host"
                        + " of letters, digits, '-' and dots, a port 1-65535, path elements of letters, digits and "
                        + "'-', '_', '~', '.', none empty or starting with '.')");
        assertThat(CRD_RULE.matcher(key).matches()).isFalse();
    }

    @Test
    void offMeansNoDatabase() {
        GoSumDb off = GoSumDb.parse(" off ");

        assertThat(off.isOff()).isTrue();
        assertThat(off.key()).isEmpty();
        assertThat(off.url()).isEmpty();
    }

    @Test
    void aLoginInTheUrlIsKeptForUseButNeverShown() {
        GoSumDb parsed = GoSumDb.parse(TEST_KEY + " https://sd:s3cret@sum.corp.example/db");

        assertThat(parsed.url().orElseThrow().getUserInfo()).isEqualTo("sd:s3cret");
        assertThat(parsed.toString()).doesNotContain("s3cret").contains("https://sd:xxxxx@sum.corp.example/db");
    }

    /** Each refusal starts with the value (its URL's login and query hidden) and says what is wrong with it. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            sum.example.com | "sum.example.com" is not off, sum.golang.org, sum.golang.google.cn or a checksum database's verifier key (name+hash+key); copy name+hash+key whole as the database's operator publishes it
            OFF             | "OFF" is not off, sum.golang.org, sum.golang.google.cn or a checksum database's verifier key (name+hash+key); copy name+hash+key whole as the database's operator publishes it
            sum.golang.google.cn https://sum.golang.google.cn | "sum.golang.google.cn https://sum.golang.google.cn" is not off, sum.golang.org, sum.golang.google.cn or a checksum database's verifier key (name+hash+key); copy name+hash+key whole as the database's operator publishes it
            sum.golang.org+notakey | "sum.golang.org+notakey" has a verifier key that is not name+hash+key; copy name+hash+key whole as the database's operator publishes it
            +033de0ae+Ac4zctda0e5eza | "+033de0ae+Ac4zctda0e5eza" has a verifier key whose name is empty or has a blank or '+'; copy name+hash+key whole as the database's operator publishes it
            sum.golang.org+33de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 | "sum.golang.org+33de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8" has the verifier key for sum.golang.org, whose hash 33de0ae is not 8 hex digits; copy name+hash+key whole as the database's operator publishes it
            sum.golang.org+033de0ae+%%% | "sum.golang.org+033de0ae+%%%" has the verifier key for sum.golang.org, whose key is not base64; copy name+hash+key whole as the database's operator publishes it
            sum.golang.org+033de0ae+AAAA | "sum.golang.org+033de0ae+AAAA" has the verifier key for sum.golang.org, which is not an Ed25519 key (33 bytes, the first 1); copy name+hash+key whole as the database's operator publishes it
            sum.corp.example.com+eedc9b3e+AmiaB4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPgA | "sum.corp.example.com+eedc9b3e+AmiaB4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPgA" has the verifier key for sum.corp.example.com, which is not an Ed25519 key (33 bytes, the first 1); copy name+hash+key whole as the database's operator publishes it
            sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPh | "sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPh" has the verifier key for sum.corp.example.com, which does not match its hash eedc9b3e; copy name+hash+key whole as the database's operator publishes it
            sum.golang.org https://a https://b | "sum.golang.org https://a https://b" has more than a verifier key and one URL
            sum.golang.org ftp://mirror | "sum.golang.org ftp://mirror" has a URL that is not http(s)://host[/path] without a query
            sum.golang.org https://ci:s3cret@sum.corp/?token=t0k | "sum.golang.org https://ci:xxxxx@sum.corp/?xxxxx" has a URL that is not http(s)://host[/path] without a query
            sum.golang.org https://ci:s3cret@sum.corp/%zz | "sum.golang.org https://ci:xxxxx@sum.corp/%zz" has a URL that does not parse (Malformed escape pair)
            """)
    void aValueTheProxyCannotUseIsRefusedSayingWhy(String setting, String message) {
        assertThatThrownBy(() -> GoSumDb.parse(setting))
                .isInstanceOf(GoSumDb.InvalidException.class)
                .hasMessage(message);
    }

    /**
     * The CRD's rule is a first check of the shape: it never takes what the proxy refuses but a URL that does not
     * parse or a key whose hash is wrong, and it refuses what the proxy takes only where the proxy is lenient (blanks
     * around the value, an empty value for the default).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "off",
                "sum.golang.org",
                "sum.golang.google.cn",
                "sum.golang.org https://goproxy.cn/sumdb/sum.golang.org",
                "sum.golang.org   https://goproxy.cn/sumdb/sum.golang.org",
                "sum.golang.org\thttps://goproxy.cn/sumdb/sum.golang.org/",
                GoSumDb.SUM_GOLANG_ORG_KEY,
                CORP_KEY,
                CORP_KEY + " https://sum.corp:8443/db/",
                CORP_KEY + " \t http://10.0.0.1",
                "sum.corp.example.com+EEDC9B3E+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg",
                "sum.corp.example.com+eEdC9b3E+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg https://sum.corp:8443/db",
                PORT_KEY,
                PORT_PATH_KEY,
                PORT_KEY + " http://127.0.0.1:9999",
            })
    void theCrdRuleTakesWhatTheProxyTakes(String setting) {
        assertThat(CRD_RULE.matcher(setting).matches()).isTrue();
        assertThat(GoSumDb.parse(setting)).hasToString(setting.strip());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "OFF",
                "corp-sumdb",
                "sum golang org",
                "sum.golang.org+notakey",
                "sum.example.com+a1b2c3+AbCd https://sum.example.com",
                "sum.golang.google.cn https://sum.golang.google.cn",
                "sum.golang.org https://sum.corp.example.com/?token=1",
                "sum.golang.org https://sum.corp.example.com/#x",
                "sum.golang.org https://a https://b",
                "sum.golang.org ftp://mirror",
                "sum.golang.org HTTPS://mirror",
                "sum.golang.org+033de0ae+AAAA",
                // 7 hex digits, and a 'g'
                "sum.golang.org+33DE0AE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                "sum.golang.org+033DE0AG+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                "sum_corp+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg",
                // a blank to the parser's split, which RE2's \s (no \v) would have let into the URL
                "sum.golang.org https://sum.corp\u000bdb",
                "sum.golang.org https://sum.corp\u0000db",
            })
    void theCrdRuleRefusesWhatTheProxyRefuses(String setting) {
        assertThat(CRD_RULE.matcher(setting).matches()).isFalse();
        assertThatThrownBy(() -> GoSumDb.parse(setting)).isInstanceOf(GoSumDb.InvalidException.class);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPh",
                "sum.golang.org https://ci:s3cret@sum.corp/%zz",
                "sum.golang.org https://under_score.example",
            })
    void theCrdRuleLeavesTheKeysHashAndTheUrlsParsingToTheOperator(String setting) {
        assertThat(CRD_RULE.matcher(setting).matches()).isTrue();
        assertThatThrownBy(() -> GoSumDb.parse(setting)).isInstanceOf(GoSumDb.InvalidException.class);
    }
}
