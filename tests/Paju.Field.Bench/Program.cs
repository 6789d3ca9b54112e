using System.CommandLine;
using Paju.Field.Bench;

var root = new RootCommand("Paju Field benchmarks — results go to docs/BENCHMARKS.md. Never part of ./paju test.");
var db = new Option<string>("--db") { Description = "PostgreSQL connection string (default: a private cluster under --data)" };
var data = new Option<string>("--data") { Description = "data folder for the private cluster", DefaultValueFactory = _ => "/tmp/paju-bench" };
var report = new Option<string>("--report") { Description = "report file (default docs/BENCHMARKS.md)" };

var sizes = new Option<string>("--sizes") { Description = "dataset sizes", DefaultValueFactory = _ => "1000,100000" };
var iterations = new Option<int>("--iterations") { Description = "requests per figure", DefaultValueFactory = _ => 500 };
var ogc = new Command("ogc", "OGC API items latency at 1k and 100k assets, beside bare SQL");
ogc.Options.Add(db);
ogc.Options.Add(data);
ogc.Options.Add(report);
ogc.Options.Add(sizes);
ogc.Options.Add(iterations);
ogc.SetAction(parse => OgcBench.RunAsync(new OgcBench.Options(
    [.. parse.GetValue(sizes)!.Split(',').Select(int.Parse)],
    parse.GetValue(iterations),
    Warmup: 50,
    parse.GetValue(db),
    parse.GetValue(data)!,
    Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(ogc);

var size = new Option<int>("--size") { Description = "playgrounds in the dataset", DefaultValueFactory = _ => 100_000 };
var rounds = new Option<int>("--rounds") { Description = "uncached passes over the sample (each tile rendered this many times)", DefaultValueFactory = _ => 150 };
var clients = new Option<int>("--clients") { Description = "concurrent clients for throughput", DefaultValueFactory = _ => 32 };
var seconds = new Option<int>("--seconds") { Description = "length of each throughput run", DefaultValueFactory = _ => 15 };
var tiles = new Command("tiles", "Vector tiles: uncached latency beside ST_AsMVT, cached throughput beside static files");
foreach (var option in new Option[] { db, data, report, size, rounds, clients, seconds })
{
    tiles.Options.Add(option);
}
tiles.SetAction(parse => TileBench.RunAsync(new TileBench.Options(
    parse.GetValue(size), parse.GetValue(rounds), parse.GetValue(clients), TimeSpan.FromSeconds(parse.GetValue(seconds)),
    parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(tiles);

var devices = new Option<int>("--devices") { Description = "simulated devices", DefaultValueFactory = _ => 500 };
var duration = new Option<int>("--seconds") { Description = $"length of each load run, measured after {IngestBench.WarmUp.TotalSeconds:F0} s of warm-up", DefaultValueFactory = _ => 60 };
var external = new Option<bool>("--external") { Description = "also run mosquitto with two paju ingest processes" };
var ingest = new Command("ingest", "Telemetry ingest: devices publishing QoS 1, committed rate and latency beside a bare broker");
foreach (var option in new Option[] { db, data, report, devices, duration, external })
{
    ingest.Options.Add(option);
}
ingest.SetAction(parse => IngestBench.RunAsync(new IngestBench.Options(
    parse.GetValue(devices), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(external),
    parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(ingest);

var sseClients = new Option<int>("--clients") { Description = "SSE clients following /api/live", DefaultValueFactory = _ => 500 };
var rate = new Option<int>("--rate") { Description = "readings per second, all devices together", DefaultValueFactory = _ => 1000 };
var liveDevices = new Option<int>("--devices") { Description = "simulated devices", DefaultValueFactory = _ => 100 };
var live = new Command("live", "Live feed: SSE clients following /api/live while devices publish; ingest→client latency and events lost");
foreach (var option in new Option[] { db, data, report, sseClients, rate, liveDevices, duration })
{
    live.Options.Add(option);
}
live.SetAction(parse => LiveBench.RunAsync(new LiveBench.Options(
    parse.GetValue(sseClients), parse.GetValue(rate), parse.GetValue(liveDevices), TimeSpan.FromSeconds(parse.GetValue(duration)),
    parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(live);

var bauds = new Option<string>("--bauds") { Description = "line speeds", DefaultValueFactory = _ => "9600,19200,115200" };
var registers = new Option<int>("--registers") { Description = "holding registers per request", DefaultValueFactory = _ => 10 };
var perBaud = new Option<int>("--seconds") { Description = "length of the run at each baud", DefaultValueFactory = _ => 20 };
var modbus = new Command("modbus", "Modbus RTU: transactions/s and software overhead against a wire-time slave, beside the line's capacity");
foreach (var option in new Option[] { report, bauds, registers, perBaud })
{
    modbus.Options.Add(option);
}
modbus.SetAction(parse => ModbusBench.Run(new ModbusBench.Options(
    [.. parse.GetValue(bauds)!.Split(',').Select(int.Parse)], parse.GetValue(registers), TimeSpan.FromMilliseconds(10),
    TimeSpan.FromSeconds(parse.GetValue(perBaud)), Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(modbus);

var appendSeconds = new Option<int>("--seconds") { Description = "length of each append run (three per fsync policy)", DefaultValueFactory = _ => 5 };
var pumps = new Option<int>("--pumps") { Description = "pumps (one queue each) in the outage", DefaultValueFactory = _ => 6 };
var outage = new Option<int>("--outage-seconds") { Description = "outage length; one reading per pump per second", DefaultValueFactory = _ => 3600 };
var queue = new Command("queue", "Bridge store-and-forward: append rate per fsync policy, and replay rate of an hour's outage into PostGIS");
foreach (var option in new Option[] { db, data, report, appendSeconds, pumps, outage })
{
    queue.Options.Add(option);
}
queue.SetAction(parse => QueueBench.RunAsync(new QueueBench.Options(
    TimeSpan.FromSeconds(parse.GetValue(appendSeconds)), parse.GetValue(pumps), parse.GetValue(outage),
    parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(queue);

var readerScans = new Option<int>("--scans") { Description = "scans timed one at a time (and as many direct check-ins for the baseline)", DefaultValueFactory = _ => 300 };
var readerBacklog = new Option<int>("--backlog") { Description = "scans queued while the broker is down, replayed at the default pace and unpaced", DefaultValueFactory = _ => 10_000 };
var readers = new Command("readers", "Fixed readers: a serial QR scan through the real paju-bridge to PostGIS, and a queued backlog replayed after an outage");
foreach (var option in new Option[] { db, data, report, readerScans, readerBacklog })
{
    readers.Options.Add(option);
}
readers.SetAction(parse => ReaderBench.RunAsync(new ReaderBench.Options(
    parse.GetValue(readerScans), parse.GetValue(readerBacklog), parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(readers);

var inspectorLoads = new Option<int>("--loads") { Description = "cold and warm loads measured (after one of each to warm up)", DefaultValueFactory = _ => 10 };
var inspectorCount = new Option<int>("--inspections") { Description = "inspections filed offline and then sent", DefaultValueFactory = _ => 20 };
var inspectorPhotos = new Option<int>("--photos") { Description = "photos of 500 KB per inspection", DefaultValueFactory = _ => 3 };
var inspector = new Command("inspector", "Inspector app at 150 ms / 1.6 Mbps / 750 kbps: cold and warm loads, script before interaction, a day's inspections sent");
foreach (var option in new Option[] { db, data, report, inspectorLoads, inspectorCount, inspectorPhotos })
{
    inspector.Options.Add(option);
}
inspector.SetAction(parse => InspectorBench.RunAsync(new InspectorBench.Options(parse.GetValue(inspectorLoads), parse.GetValue(inspectorCount),
    parse.GetValue(inspectorPhotos), parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(inspector);

var importRows = new Option<int>("--rows") { Description = "registry-format CSV rows", DefaultValueFactory = _ => 1_000_000 };
var geojsonMb = new Option<int>("--geojson-mb") { Description = "size of the minified GeoJSON", DefaultValueFactory = _ => 200 };
var import = new Command("import", "Registry import: a million validated CSV rows beside a bare binary COPY, and a 200 MB GeoJSON's peak RSS");
foreach (var option in new Option[] { db, data, report, importRows, geojsonMb })
{
    import.Options.Add(option);
}
import.SetAction(parse => ImportBench.RunAsync(new ImportBench.Options(
    parse.GetValue(importRows), parse.GetValue(geojsonMb), parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(import);

var checkinClients = new Option<int>("--clients") { Description = "concurrent inspectors, one NTAG 424 tag each", DefaultValueFactory = _ => 10 };
var perClient = new Option<int>("--per-client") { Description = "check-ins each client posts (measured)", DefaultValueFactory = _ => 300 };
var checkinPlaygrounds = new Option<int>("--playgrounds") { Description = "playgrounds in the registry", DefaultValueFactory = _ => 1_000 };
var checkins = new Command("checkins", "Check-in verification: fresh SUN taps from concurrent inspectors beside the same POST without a tag");
foreach (var option in new Option[] { db, data, report, checkinClients, perClient, checkinPlaygrounds })
{
    checkins.Options.Add(option);
}
checkins.SetAction(parse => CheckInBench.RunAsync(new CheckInBench.Options(
    parse.GetValue(checkinClients), parse.GetValue(perClient), parse.GetValue(checkinPlaygrounds), parse.GetValue(db), parse.GetValue(data)!,
    Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(checkins);

var inspectionCount = new Option<int>("--inspections") { Description = "inspections submitted", DefaultValueFactory = _ => 500 };
var inspectionClients = new Option<int>("--clients") { Description = "concurrent inspectors", DefaultValueFactory = _ => 10 };
var photosEach = new Option<int>("--photos") { Description = "photos per inspection", DefaultValueFactory = _ => 3 };
var photoKb = new Option<int>("--photo-kb") { Description = "photo size in KB", DefaultValueFactory = _ => 300 };
var inspectionsCommand = new Command("inspections", "Inspections with photos end to end (PUT, then 256 KB chunks) beside the bytes written straight to disk");
foreach (var option in new Option[] { db, data, report, inspectionCount, inspectionClients, photosEach, photoKb })
{
    inspectionsCommand.Options.Add(option);
}
inspectionsCommand.SetAction(parse => InspectionBench.RunAsync(new InspectionBench.Options(
    parse.GetValue(inspectionCount), parse.GetValue(inspectionClients), parse.GetValue(photosEach), parse.GetValue(photoKb) * 1024,
    parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(inspectionsCommand);

var pageClients = new Option<int>("--clients") { Description = "concurrent clients for the throughput figures", DefaultValueFactory = _ => 32 };
var pageSeconds = new Option<int>("--seconds") { Description = "seconds per throughput figure", DefaultValueFactory = _ => 10 };
var publicPage = new Command("public-page", "The plate's public page: first (uncached) renders beside its queries, cached throughput at 32 clients beside static files");
foreach (var option in new Option[] { db, data, report, pageClients, pageSeconds })
{
    publicPage.Options.Add(option);
}
publicPage.SetAction(parse => PublicPageBench.RunAsync(new PublicPageBench.Options(
    parse.GetValue(pageClients), TimeSpan.FromSeconds(parse.GetValue(pageSeconds)), parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(publicPage);

var roomSize = new Option<int>("--size") { Description = "generated playgrounds beside the sample city", DefaultValueFactory = _ => 100_000 };
var roomLoads = new Option<int>("--loads") { Description = "page loads timed to interactive (after one to warm up)", DefaultValueFactory = _ => 10 };
var roomAlarms = new Option<int>("--alarms") { Description = "alarms raised at the broker and timed to the page", DefaultValueFactory = _ => 20 };
var controlRoom = new Command("control-room",
    "The control room in headless Chromium (SwiftShader): interactive after load, a z11→z16 path over the densest cells to idle, broker → page alarm latency, our JS size");
foreach (var option in new Option[] { db, data, report, roomSize, roomLoads, roomAlarms })
{
    controlRoom.Options.Add(option);
}
controlRoom.SetAction(parse => ControlRoomBench.RunAsync(new ControlRoomBench.Options(parse.GetValue(roomSize), parse.GetValue(roomLoads),
    parse.GetValue(roomAlarms), parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(controlRoom);

var uploadRuns = new Option<int>("--runs") { Description = "reports posted over the emulated link (after one to warm up)", DefaultValueFactory = _ => 5 };
var uplink = new Option<double>("--uplink-mbps") { Description = "the emulated uplink, Mbit/s", DefaultValueFactory = _ => 1.5 };
var downlink = new Option<double>("--downlink-mbps") { Description = "the emulated downlink, Mbit/s", DefaultValueFactory = _ => 9 };
var rtt = new Option<int>("--rtt-ms") { Description = "added per round trip, ms", DefaultValueFactory = _ => 150 };
var photoKbEach = new Option<int>("--photo-kb") { Description = "each photo as sent, KB", DefaultValueFactory = _ => 500 };
var reportUpload = new Command("report-upload", "A citizen's report with 5 photos over emulated weak 4G, tap to receipt, beside the loopback and the link's wire time");
foreach (var option in new Option[] { db, data, report, uploadRuns, uplink, downlink, rtt, photoKbEach })
{
    reportUpload.Options.Add(option);
}
reportUpload.SetAction(parse => ReportUploadBench.RunAsync(new ReportUploadBench.Options(parse.GetValue(uploadRuns), parse.GetValue(uplink),
    parse.GetValue(downlink), parse.GetValue(rtt), parse.GetValue(photoKbEach), parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(reportUpload);

var complianceLarge = new Option<int>("--large") { Description = "playgrounds in the large dataset", DefaultValueFactory = _ => 100_000 };
var complianceIterations = new Option<int>("--iterations") { Description = "requests per figure at the city's size", DefaultValueFactory = _ => 200 };
var compliance = new Command("compliance", "The compliance overview at the city's 896 assets (with the sample history) and at 100,000, beside its status computation");
foreach (var option in new Option[] { db, data, report, complianceLarge, complianceIterations })
{
    compliance.Options.Add(option);
}
compliance.SetAction(parse => ComplianceBench.RunAsync(new ComplianceBench.Options(
    parse.GetValue(complianceLarge), parse.GetValue(complianceIterations), parse.GetValue(db), parse.GetValue(data)!, Report.Path(parse.GetValue(report)))));
root.Subcommands.Add(compliance);

return await root.Parse(args).InvokeAsync();
