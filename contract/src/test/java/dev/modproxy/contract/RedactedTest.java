package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedactedTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "https://goproxy.cn; https://goproxy.cn",
                "https://ci:s3cret@athens.corp/go; https://ci:xxxxx@athens.corp/go",
                "https://ghp_t0ken@mirror.corp/a@b; https://xxxxx@mirror.corp/a@b",
                "athens.corp/go?token=t0k; athens.corp/go?xxxxx",
                "https://goproxy.corp/#access_token=t0k; https://goproxy.corp/#xxxxx",
                "http://pu:pw@proxy.corp:3128; http://pu:xxxxx@proxy.corp:3128",
                "http://minio:9000/a@b; http://minio:9000/a@b",
                "direct; direct",
                // a password with '/' or '@' pasted without percent-encoding: masked whole all the same
                "http://user:hunter2/x@127.0.0.1:18901; http://user:xxxxx@127.0.0.1:18901",
                "http://user:hun@ter2@127.0.0.1:18901/go; http://user:xxxxx@127.0.0.1:18901/go",
                "http://athens:3000/go@v1; http://athens:3000/go@v1"
            })
    void aUrlKeepsWhereItPointsAndLosesItsLoginAndQuery(String url, String shown) {
        assertThat(Redacted.url(url)).isEqualTo(shown);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "sum.golang.org; sum.golang.org",
                "sum.corp+key https://sd:s3cret@sum.corp/?token=t0k; sum.corp+key https://sd:xxxxx@sum.corp/?xxxxx",
                "'a  b\thttps://t0ken@c'; 'a  b\thttps://xxxxx@c'"
            })
    void eachWordOfASettingIsShownAsAUrlIsAndTheSpacingStays(String setting, String shown) {
        assertThat(Redacted.words(setting)).isEqualTo(shown);
    }
}
