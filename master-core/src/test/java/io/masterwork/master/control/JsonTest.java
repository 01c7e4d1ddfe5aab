package io.masterwork.master.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void nestedObjectsAndArraysInWritingOrder() {
        String json = new Json().beginObject()
                .name("b").number(2)
                .name("a").beginArray().string("x").nul().bool(true).beginObject().name("k").seconds(1_234_567_890L).endObject().endArray()
                .name("c").beginArray().endArray()
                .endObject().toString();
        assertThat(json).isEqualTo("{\"b\":2,\"a\":[\"x\",null,true,{\"k\":1.234}],\"c\":[]}");
    }

    @Test
    void stringsAreEscapedSoAnyParserReadsThemBack() {
        String nasty = "quote \" backslash \\ newline \n tab \t bell \u0007 line-sep \u2028 é";
        String json = new Json().beginObject().name("s").string(nasty).endObject().toString();
        assertThat(json).doesNotContain("\n").doesNotContain("\u0007");
        Config parsed = ConfigFactory.parseString(json, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        assertThat(parsed.getString("s")).isEqualTo(nasty);
    }
}
