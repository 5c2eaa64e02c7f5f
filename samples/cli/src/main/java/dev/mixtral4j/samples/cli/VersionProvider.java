package dev.mixtral4j.samples.cli;

import picocli.CommandLine;

/** Version from the jar manifest (absent when run from classes), plus the JVM. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Mixtral4jCli.class.getPackage().getImplementationVersion();
        return new String[] {
            "mixtral4j " + (v == null ? "(development build)" : v),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("os.arch") + ")"
        };
    }
}
