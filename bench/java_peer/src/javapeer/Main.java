package javapeer;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import javax.xml.bind.JAXBContext;
import javax.xml.transform.Source;
import javax.xml.transform.stream.StreamSource;
import javax.xml.ws.Endpoint;

import riv.supportprocess.logistics.scheduling.getavailabletimeslotsresponder._2.GetAvailableTimeslotsResponseType;

/**
 * Publishes the peer on the JDK's HTTP server (javax.xml.ws.Endpoint) with a fixed thread pool.
 *
 * <pre>java javapeer.Main --port N --answer FILE --metadata DIR [--validate] [--threads N]</pre>
 *
 * --answer: a GetAvailableTimeslotsResponse element (the payload of our producer's answer);
 * --metadata: the served WSDL and its schemas, as build.py saved them (the runtime serves and
 * validates against these; without them it would generate a schema from the JAXB classes, which has
 * no facets, and @SchemaValidation would let e.g. a malformed date through); --threads: the
 * executor's size (default: the available processors).
 */
public final class Main {
    static final String PATH = "/GetAvailableTimeslots/2/rivtabp21";

    public static void main(String[] args) throws Exception {
        int port = 0;
        int threads = Runtime.getRuntime().availableProcessors();
        boolean validate = false;
        File answerFile = null;
        Path metadata = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port": port = Integer.parseInt(args[++i]); break;
                case "--threads": threads = Integer.parseInt(args[++i]); break;
                case "--validate": validate = true; break;
                case "--answer": answerFile = new File(args[++i]); break;
                case "--metadata": metadata = Path.of(args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (port == 0 || answerFile == null || metadata == null) {
            throw new IllegalArgumentException("--port, --answer and --metadata are required");
        }

        JAXBContext jaxb = JAXBContext.newInstance(GetAvailableTimeslotsResponseType.class);
        Peer.answer = jaxb.createUnmarshaller()
                .unmarshal(new StreamSource(answerFile), GetAvailableTimeslotsResponseType.class).getValue();

        List<Source> docs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(metadata)) {
            files.filter(p -> p.toString().endsWith(".wsdl") || p.toString().endsWith(".xsd")).sorted()
                    .forEach(p -> docs.add(new StreamSource(p.toFile())));  // systemId: the file's URI
        }

        Endpoint endpoint = Endpoint.create(validate ? new ValidatingPeer() : new Peer());
        endpoint.setMetadata(docs);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        endpoint.setExecutor(pool);
        String url = "http://127.0.0.1:" + port + PATH;
        endpoint.publish(url);
        System.out.println("peer serving on " + url + " (validation " + (validate ? "on" : "off") + ", "
                + threads + " threads, " + Peer.answer.getTimeslot().size() + " timeslots)");
        System.out.flush();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            endpoint.stop();
            pool.shutdownNow();
        }));
        Thread.currentThread().join();
    }

    private Main() {
    }
}
