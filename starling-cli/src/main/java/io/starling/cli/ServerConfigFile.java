package io.starling.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code --config FILE} of {@code starling server}: a JSON object whose keys are the command's long option names
 * without their dashes and whose values are what the option takes, turned into command-line arguments that come
 * before the real ones (docs/SERVER.md, "Configuration file"):
 *
 * <pre>
 * {"postgres": "jdbc:postgresql://db:5432/app?user=starling", "app": "tasks",
 *  "listen": ["tcp://0.0.0.0:7400", "ws://0.0.0.0:7401/sync"], "http": "0.0.0.0:8080", "lan": false}
 * </pre>
 *
 * A string or number is the option's value; {@code true} gives a switch and {@code false} leaves it out; an array
 * repeats the option once per element. Anything else — an unknown key, {@code config} itself, null, an object, a
 * file that is not one JSON object — is a usage error naming the file and the key.
 */
final class ServerConfigFile {
    static final long MAX_BYTES = 1 << 20;

    private ServerConfigFile() {}

    /** The arguments {@code file} stands for, checked against {@code spec}'s options. */
    static List<String> arguments(Path file, CommandSpec spec) {
        JsonNode root = read(file);
        List<String> args = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String key = field.getKey();
            OptionSpec option = key.startsWith("-") || key.equals("config") ? null : spec.findOption("--" + key);
            if (option == null || option.usageHelp() || option.versionHelp()) {
                throw invalid(
                        file,
                        "unknown key \"" + key + "\" (keys are the long options of 'starling server"
                                + " --help' without their dashes, such as \"listen\" or \"http-token\")");
            }
            JsonNode value = field.getValue();
            if (value.isArray()) {
                if (!option.isMultiValue()) throw invalid(file, "\"" + key + "\" takes one value, not an array");
                for (JsonNode element : value) add(file, key, option, element, args);
            } else {
                add(file, key, option, value, args);
            }
        }
        return args;
    }

    private static void add(Path file, String key, OptionSpec option, JsonNode value, List<String> args) {
        boolean isSwitch = option.arity().max() == 0;
        if (isSwitch) {
            if (!value.isBoolean()) throw invalid(file, "\"" + key + "\" is a switch: true or false");
            if (value.booleanValue()) args.add("--" + key);
            return;
        }
        if (!value.isTextual() && !value.isNumber()) {
            throw invalid(
                    file, "\"" + key + "\" takes a string" + (option.isMultiValue() ? " or an array of them" : ""));
        }
        args.add("--" + key);
        args.add(value.asText());
    }

    private static JsonNode read(Path file) {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) throw invalid(file, "no such file");
            if (Files.size(file) > MAX_BYTES) throw invalid(file, "larger than 1 MiB");
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw invalid(file, "cannot be read: " + e.getMessage());
        }
        JsonNode root;
        try {
            root = JsonArgs.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw invalid(file, "not valid JSON: " + JsonArgs.describe(e));
        }
        if (!root.isObject()) throw invalid(file, "must hold one JSON object of options");
        return root;
    }

    private static CliUsageException invalid(Path file, String message) {
        return new CliUsageException("config/invalid", "config file " + file + ": " + message);
    }
}
