// event-publisher-bench: the performance figures of issue 7 (release build only; see
// docs/PERFORMANCE.md). Each subcommand prints one `RESULT bench=… key=value …` line; `table` turns
// the lines of one run into the table with the ratios to the references of that run.
// scripts/bench.sh runs everything.
import Foundation

let usage = """
    usage: event-publisher-bench COMMAND [--option value …]
      decode       [--file F] [--min-events 1000000] [--reps 3] [--chunk 65536]
      correlate    [--file F] [--min-events 1000000] [--config YAML] [--reps 1]
      encode       [--file F] [--reps 20] [--config YAML]   (CallEvent.encodedJSON per event)
      correlate-profile [--file F] [--passes 8] [--config YAML]   (time per AMI event name)
      memory-live  --file GENERATED.ami [--target-live 10000] [--config YAML] [--snapshot-cost=1] [--track-changes=1]
      delivery     --url URL [--requests 30000] [--calls 1000] [--concurrency 64] [--body-size 1024] [--batch 200]
                   [--ref-bin curl-multi-post] [--sink-pid PID]
      delivery-storage [--requests 30000] [--calls 1000] [--batch 200] [--record-batch 64]   (outbox alone, no HTTP)
      delivery-floor --url URL --floor-bin durable-post-floor --ref-bin curl-multi-post [--concurrency 64]
                   [--requests 30000] [--reps 3] [--schemas outbox,minimal,lean]   (C durable senders)
      e2e-report   --sent SENT.tsv --record SINK.tsv [--file F] [--loops 1] [--config YAML] [--label e2e_1000]
      ref-scan     --bin ami-scan-ref [--file F] [--repeat 200]
      ref-curl     --bin curl-multi-post --url URL [--concurrency 64] [--requests 30000]
      table        RESULTS-FILE
    """

let commandLine = CommandLine.arguments
guard commandLine.count >= 2 else {
    print(usage)
    exit(2)
}
let arguments = Arguments(commandLine.dropFirst(2))
switch commandLine[1] {
case "decode": decodeBench(arguments)
case "correlate": correlateBench(arguments)
case "memory-live": memoryLiveBench(arguments)
case "correlate-profile": correlateProfile(arguments)
case "encode": encodeBench(arguments)
case "delivery": deliveryBench(arguments)
case "delivery-storage": deliveryStorageBench(arguments)
case "delivery-floor": deliveryFloorBench(arguments)
case "e2e-report": endToEndReport(arguments)
case "ref-scan": referenceScan(arguments)
case "ref-curl": referenceCurl(arguments)
case "table": printTable(arguments)
case "-h", "--help", "help": print(usage)
default:
    print(usage)
    exit(2)
}
