/** The mixtral4j command line and examples. */
module dev.mixtral4j.samples {
    requires dev.mixtral4j.api;
    requires dev.mixtral4j.tokenizer;
    requires info.picocli;

}
