using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using MQTTnet;
using Paju.Field.Tags;
using Paju.Field.Telemetry;
using Paju.Field.Tests.Harness;
using static Paju.Field.Tests.Tags.CheckInFixture;

namespace Paju.Field.Tests.Tags;

/// <summary>Check-ins verified against the plates: SUN, static signatures, counters, distances, and resubmissions.</summary>
public sealed class CheckInVerificationTests(CheckInFixture f) : IClassFixture<CheckInFixture>
{
    private static string[] Flags(JsonElement body) => [.. body.GetProperty("flags").EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task A_SUN_tap_verifies_once_and_the_same_URL_again_is_a_replay()
    {
        var tag = await f.NewSunTagAsync("04A2241A6D5E81", counter: 10);
        var url = tag.Tap();

        var (status, first) = await f.CheckInAsync(Body(url));
        Assert.Equal(201, status);
        Assert.Equal("sun", first.GetProperty("proof").GetString());
        Assert.Equal("verified", first.GetProperty("status").GetString());
        Assert.Equal(11, first.GetProperty("counter").GetInt32());
        Assert.Equal("PG-T0001", first.GetProperty("asset").GetProperty("code").GetString());
        Assert.True(first.GetProperty("distanceMetres").GetDouble() < 1);
        Assert.Empty(Flags(first));

        // A copy of the URL (a photo of the screen, a forwarded link) is not a second visit.
        var (replayStatus, replay) = await f.CheckInAsync(Body(url));
        Assert.Equal(201, replayStatus);
        Assert.Equal("replayed", replay.GetProperty("proof").GetString());
        Assert.Equal("refused", replay.GetProperty("status").GetString());
        Assert.Contains("이미 한 번 쓰인", replay.GetProperty("messages")[0].GetString());
    }

    [Fact]
    public async Task A_lower_counter_not_seen_before_is_a_late_tap_accepted_and_flagged()
    {
        var tag = await f.NewSunTagAsync("04A2241A6D5E82", counter: 20);
        var queuedOffline = tag.UrlFor(21);
        var later = tag.UrlFor(25);

        var (_, fresh) = await f.CheckInAsync(Body(later));
        var (_, late) = await f.CheckInAsync(Body(queuedOffline));

        Assert.Equal("verified", fresh.GetProperty("status").GetString());
        Assert.Equal("sun", late.GetProperty("proof").GetString());
        Assert.Equal("flagged", late.GetProperty("status").GetString());
        Assert.Equal(["late_counter"], Flags(late));
    }

    [Fact]
    public async Task A_tampered_cmac_or_a_MAC_made_with_other_keys_is_a_bad_signature()
    {
        var tag = await f.NewSunTagAsync("04A2241A6D5E83");
        var url = tag.Tap();
        var tampered = url[..^1] + (url[^1] == '0' ? '1' : '0');
        var foreign = new SunTagEmulator(BaseUrl, new Uri(url).Segments[^1], new byte[16], new byte[16], "04A2241A6D5E83").Tap();

        var (_, bad) = await f.CheckInAsync(Body(tampered));
        var (_, forged) = await f.CheckInAsync(Body(foreign));

        Assert.Equal("bad_signature", bad.GetProperty("proof").GetString());
        Assert.Equal("refused", bad.GetProperty("status").GetString());
        Assert.Equal("bad_signature", forged.GetProperty("proof").GetString());
        // The tampered attempt spent nothing: the genuine URL still verifies.
        var (_, genuine) = await f.CheckInAsync(Body(url));
        Assert.Equal("verified", genuine.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_static_signature_verifies_and_a_tampered_one_does_not()
    {
        var url = f.PlaygroundQr.Url(BaseUrl, f.Keys);
        var tampered = url.Replace("?s=1.", "?s=1.A", StringComparison.Ordinal)[..^1];
        var unsigned = url[..url.IndexOf('?')];

        var (_, good) = await f.CheckInAsync(Body(url, method: "qr"));
        var (_, bad) = await f.CheckInAsync(Body(tampered, method: "qr"));
        var (_, none) = await f.CheckInAsync(Body(unsigned, method: "url"));

        Assert.Equal("signature", good.GetProperty("proof").GetString());
        Assert.Equal("verified", good.GetProperty("status").GetString());
        Assert.Equal("bad_signature", bad.GetProperty("proof").GetString());
        Assert.Equal("bad_signature", none.GetProperty("proof").GetString());
    }

    [Fact]
    public async Task A_rotated_key_signs_new_plates_and_old_plates_still_verify()
    {
        var before = await f.AddTagAsync("PG-T0001", "qr");
        var version = f.Keys.RotateSigningKey();
        var after = await f.AddTagAsync("PG-T0001", "qr");

        Assert.Equal(version, after.KeyVersion);
        Assert.True(before.KeyVersion < after.KeyVersion);
        Assert.Contains($"?s={before.KeyVersion}.", before.Url(BaseUrl, f.Keys));
        foreach (var plate in new[] { before, after })
        {
            var (_, answer) = await f.CheckInAsync(Body(plate.Url(BaseUrl, f.Keys), method: "qr"));
            Assert.Equal("signature", answer.GetProperty("proof").GetString());
        }
    }

    [Fact]
    public async Task Distance_to_a_point_asset_decides_presence_by_the_configured_bands()
    {
        var url = f.PlaygroundQr.Url(BaseUrl, f.Keys);
        const double metre = 1 / 111_000.0; // of latitude

        var (_, near) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 20 * metre, accuracy: 10));
        var (_, notClose) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 60 * metre, accuracy: 10));
        var (_, tooFar) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 300 * metre, accuracy: 10));
        var (_, vague) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 60 * metre, accuracy: 80));
        var (_, blind) = await f.CheckInAsync(Body(url, lat: null));

        Assert.InRange(near.GetProperty("distanceMetres").GetDouble(), 19, 21);
        Assert.Equal("verified", near.GetProperty("status").GetString());
        Assert.Equal(["not_close"], Flags(notClose));
        Assert.Equal(["too_far"], Flags(tooFar));
        Assert.InRange(tooFar.GetProperty("distanceMetres").GetDouble(), 295, 305);
        Assert.Equal(["low_accuracy"], Flags(vague)); // 60 m is within the 80 m the phone itself is unsure of
        Assert.Equal(["no_position"], Flags(blind));
        Assert.Equal("flagged", tooFar.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Distance_to_a_line_asset_is_to_its_nearest_point_not_to_a_vertex()
    {
        var url = f.ChannelQr.Url(BaseUrl, f.Keys);
        // 20 m north of the channel's middle, about 200 m from either vertex.
        var (_, answer) = await f.CheckInAsync(Body(url, lat: ChannelLat + 20 / 111_000.0, lon: (ChannelWestLon + ChannelEastLon) / 2));

        Assert.Equal("CH-T01", answer.GetProperty("asset").GetProperty("code").GetString());
        Assert.InRange(answer.GetProperty("distanceMetres").GetDouble(), 19, 21);
        Assert.Equal("verified", answer.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_same_check_in_id_twice_returns_the_first_answer_and_stores_one_row()
    {
        var tag = await f.NewSunTagAsync("04A2241A6D5E84");
        var id = Guid.NewGuid();
        var body = Body(tag.Tap(), id: id);

        var (firstStatus, first) = await f.CheckInAsync(body);
        var (againStatus, again) = await f.CheckInAsync(body); // the phone lost the answer and sent it again
        var (otherStatus, other) = await f.CheckInAsync(body, f.OtherInspectorToken);

        Assert.Equal(201, firstStatus);
        Assert.Equal(200, againStatus);
        Assert.Equal(first.GetRawText(), again.GetRawText());
        Assert.Equal("verified", again.GetProperty("status").GetString()); // not a replay of itself
        Assert.Equal(409, otherStatus);
        Assert.Contains("다른 사용자", other.GetProperty("detail").GetString());
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM checkin WHERE client_id = $1", id));
    }

    [Fact]
    public async Task Without_a_tag_the_asset_chosen_nearby_is_flagged_no_tag()
    {
        var (status, answer) = await f.CheckInAsync(Body(null, method: "nearby", asset: "PG-T0001"));

        Assert.Equal(201, status);
        Assert.Equal("none", answer.GetProperty("proof").GetString());
        Assert.Equal("flagged", answer.GetProperty("status").GetString());
        Assert.Equal(["no_tag"], Flags(answer));
    }

    [Fact]
    public async Task An_unknown_tag_is_refused_and_a_malformed_request_is_answered_in_Korean_and_kept()
    {
        var (_, unknown) = await f.CheckInAsync(Body($"{BaseUrl}/t/zzzzzzzzzz?s=1.AAAAAAAAAAAAAAAA"));
        Assert.Equal("unknown_tag", unknown.GetProperty("proof").GetString());

        using var client = f.Client();
        var marker = Guid.NewGuid().ToString();
        using var response = await client.PostAsync("/api/checkins",
            new StringContent($$"""{"id": "{{marker}}", "method": "telepathy", "url": "x"}""", System.Text.Encoding.UTF8, "application/json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"method\"는", problem.GetProperty("detail").GetString());
        Assert.Equal(1L, await f.Db.ScalarAsync<long>(
            "SELECT count(*) FROM dead_letter WHERE topic = 'http:POST /api/checkins' AND username = 'inspector.kim' AND convert_from(payload, 'UTF8') LIKE '%' || $1 || '%'", marker));
    }

    [Fact]
    public async Task Operators_list_what_needs_review_and_read_what_each_flag_means()
    {
        await f.CheckInAsync(Body(null, method: "nearby", asset: "PG-T0001"));
        using var operatorClient = f.Client(f.OperatorToken);

        var review = await operatorClient.GetFromJsonAsync<JsonElement>("/api/checkins");
        var meanings = await operatorClient.GetFromJsonAsync<JsonElement>("/api/checkins/flags");
        using var inspectorList = await f.Client().GetAsync("/api/checkins");

        Assert.All(review.EnumerateArray(), c => Assert.NotEqual("verified", c.GetProperty("status").GetString()));
        Assert.Contains(review.EnumerateArray(), c => Flags(c).Contains("no_tag"));
        Assert.Contains(meanings.EnumerateArray(), m => m.GetProperty("code").GetString() == "late_counter" && m.GetProperty("korean").GetString()!.Contains("늦게"));
        Assert.Equal(HttpStatusCode.Forbidden, inspectorList.StatusCode);
    }

    [Fact]
    public async Task An_MQTT_check_in_redelivered_is_stored_and_verified_once()
    {
        var tag = await f.NewSunTagAsync("04A2241A6D5E85", counter: 3);
        var (_, secret) = await TestDevices.AddAsync(f.Db.DataSource, "gate-reader-1", Site);
        await using var reader = await MqttDevice.ConnectAsync(f.MqttPort, Site, "gate-reader-1", secret);
        var topic = TelemetryTopic.For(Site, "gate-reader-1", TelemetryTopic.Checkin);
        var checkIn = new CheckIn("gate-reader-1", reader.Boot, 1, DateTimeOffset.UtcNow, "04A2241A6D5E85", tag.Tap(), "gate", null, null, false);

        Assert.True((await reader.PublishRawAsync(topic, checkIn.ToJson())).IsSuccess);
        Assert.True((await reader.PublishRawAsync(topic, checkIn.ToJson())).IsSuccess); // QoS 1 redelivery

        var verdict = await f.Db.ScalarAsync<string>("""
            SELECT string_agg(c.proof || '/' || c.status || '/' || c.sun_counter, ',') FROM checkin c JOIN device d ON d.id = c.device
            WHERE d.device_id = 'gate-reader-1'
            """);
        Assert.Equal("sun/verified/4", verdict);
        Assert.Equal(1L, await f.Db.ScalarAsync<long>("SELECT count(*) FROM tag_counter WHERE uid = '04A2241A6D5E85'"));
    }

    [Fact]
    public async Task Opening_a_plate_shows_its_asset_and_writes_nothing()
    {
        var tag = await f.NewSunTagAsync("04A2241A6D5E86");
        var url = tag.Tap();
        var rowsBefore = await f.Db.ScalarAsync<long>("SELECT (SELECT count(*) FROM checkin) + (SELECT count(*) FROM tag_counter)");
        using var anonymous = f.Server.CreateClient();

        var page = await anonymous.GetAsync(new Uri(url).PathAndQuery);
        var html = await page.Content.ReadAsStringAsync();
        var missing = await anonymous.GetAsync("/t/nosuchtag1");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("체크인 시험 놀이터", html);
        Assert.Contains("PG-T0001", html);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("등록되지 않은 표지", await missing.Content.ReadAsStringAsync());
        Assert.Equal(rowsBefore, await f.Db.ScalarAsync<long>("SELECT (SELECT count(*) FROM checkin) + (SELECT count(*) FROM tag_counter)"));
        // The citizen's visit spent nothing: the inspector's check-in with the same URL is still fresh.
        var (_, answer) = await f.CheckInAsync(Body(url));
        Assert.Equal("verified", answer.GetProperty("status").GetString());
    }

    private const double Metre = 1 / 111_000.0; // of latitude

    /// <summary>Posts a check-in to another server on the fixture's database (one configured otherwise).</summary>
    private async Task<(int Status, JsonElement Body)> CheckInAtAsync(TestServer server, object body)
    {
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", f.InspectorToken);
        using var response = await client.PostAsJsonAsync("/api/checkins", body);
        return ((int)response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Fact]
    public async Task A_position_is_too_far_only_beyond_100_m_plus_its_accuracy_and_passes_within_the_larger_of_30_m_and_its_accuracy()
    {
        var url = f.PlaygroundQr.Url(BaseUrl, f.Keys);

        var (_, withinAccuracy) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 35 * Metre, accuracy: 40));
        var (_, beyondThirty) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 35 * Metre, accuracy: 10));
        var (_, withinThirty) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 25 * Metre, accuracy: 10));
        var (_, short130) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 130 * Metre, accuracy: 40));
        var (_, beyond150) = await f.CheckInAsync(Body(url, lat: PlaygroundLat + 150 * Metre, accuracy: 40));

        Assert.Equal("verified", withinAccuracy.GetProperty("status").GetString()); // 35 m, but the phone is only sure to ±40 m
        Assert.Empty(Flags(withinAccuracy));
        Assert.Equal(["not_close"], Flags(beyondThirty));
        Assert.Equal("verified", withinThirty.GetProperty("status").GetString());
        Assert.Equal(["not_close"], Flags(short130)); // 130 m < 100 m + 40 m
        Assert.InRange(short130.GetProperty("distanceMetres").GetDouble(), 128, 132);
        Assert.Equal(["too_far"], Flags(beyond150)); // 150 m > 100 m + 40 m
        Assert.Equal("flagged", beyond150.GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_distance_bands_and_the_accuracy_warning_follow_the_configuration()
    {
        await using var strict = await TestServer.StartAsync(f.Db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Tags:KeyFile"] = f.Keys.Path,
            ["Paju:Tags:PassMetres"] = "10",
            ["Paju:Tags:FlagBeyondMetres"] = "40",
            ["Paju:Tags:WarnAccuracyMetres"] = "5",
        });
        var url = f.PlaygroundQr.Url(BaseUrl, f.Keys);
        object At20() => Body(url, lat: PlaygroundLat + 20 * Metre, accuracy: 4);
        object At60() => Body(url, lat: PlaygroundLat + 60 * Metre, accuracy: 4);
        object Vague() => Body(url, accuracy: 8);

        var defaults = new[] { await f.CheckInAsync(At20()), await f.CheckInAsync(At60()), await f.CheckInAsync(Vague()) };
        var configured = new[] { await CheckInAtAsync(strict, At20()), await CheckInAtAsync(strict, At60()), await CheckInAtAsync(strict, Vague()) };

        Assert.Equal(["", "not_close", ""], defaults.Select(a => string.Join(",", Flags(a.Body))));
        Assert.Equal(["not_close", "too_far", "low_accuracy"], configured.Select(a => string.Join(",", Flags(a.Body))));
        Assert.All(configured, a => Assert.Equal("signature", a.Body.GetProperty("proof").GetString()));
    }

    [Fact]
    public async Task A_signing_key_given_by_configuration_verifies_the_plates_signed_with_it()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        await using var configured = await TestServer.StartAsync(f.Db.ConnectionString, new Dictionary<string, string?>
        {
            ["Paju:Tags:KeyFile"] = f.Keys.Path,
            ["Paju:Tags:SigningKeys:7"] = Convert.ToHexString(key),
        });
        var tagId = f.PlaygroundQr.Id;
        var plate = $"{BaseUrl}/t/{tagId}?s=7.{TagSignature.Sign(key, tagId)}";

        var (_, withKey) = await CheckInAtAsync(configured, Body(plate, method: "qr"));
        var (_, keyFilePlate) = await CheckInAtAsync(configured, Body(f.PlaygroundQr.Url(BaseUrl, f.Keys), method: "qr"));
        var (_, withoutKey) = await f.CheckInAsync(Body(plate, method: "qr"));

        Assert.Equal("signature", withKey.GetProperty("proof").GetString());
        Assert.Equal("verified", withKey.GetProperty("status").GetString());
        Assert.Equal("signature", keyFilePlate.GetProperty("proof").GetString()); // the key file's versions still count beside it
        Assert.Equal("bad_signature", withoutKey.GetProperty("proof").GetString()); // a server without version 7 cannot vouch for it
    }

    [Fact]
    public async Task A_check_in_by_the_chips_UID_alone_finds_its_tag_and_is_flagged_uid_only()
    {
        await f.AddTagAsync("PG-T0001", "ntag213", uid: "04C1D2E3F40506");

        var (status, answer) = await f.CheckInAsync(Body(null, method: "nfc", uid: "04:c1:d2:e3:f4:05:06"));
        var (_, unknown) = await f.CheckInAsync(Body(null, method: "nfc", uid: "04C1D2E3F40599"));

        Assert.Equal(201, status);
        Assert.Equal("PG-T0001", answer.GetProperty("asset").GetProperty("code").GetString());
        Assert.Equal("uid", answer.GetProperty("proof").GetString());
        Assert.Equal("flagged", answer.GetProperty("status").GetString()); // a UID can be cloned: never verified on its own
        Assert.Equal(["uid_only"], Flags(answer));
        Assert.True(answer.GetProperty("distanceMetres").GetDouble() < 1);
        Assert.Equal("unknown_tag", unknown.GetProperty("proof").GetString());
    }

    [Fact]
    public async Task Distance_to_a_polygon_asset_is_to_its_nearest_edge_and_zero_inside()
    {
        // A retention basin about 200 m square.
        const double south = 37.7650, north = 37.7668, west = 126.7900, east = 126.7923;
        await f.Db.ExecuteAsync($"""
            INSERT INTO asset (kind, code, name, geom) VALUES ('retention_basin', 'RB-T01', '체크인 시험 유수지',
              ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY[ST_MakePoint({west}, {south}), ST_MakePoint({east}, {south}), ST_MakePoint({east}, {north}),
                                                          ST_MakePoint({west}, {north}), ST_MakePoint({west}, {south})])), 4326))
            """);
        var url = (await f.AddTagAsync("RB-T01", "qr")).Url(BaseUrl, f.Keys);

        var (_, inside) = await f.CheckInAsync(Body(url, lat: (south + north) / 2, lon: (west + east) / 2));
        // 20 m north of the north edge's middle, about 100 m from either corner.
        var (_, outside) = await f.CheckInAsync(Body(url, lat: north + 20 * Metre, lon: (west + east) / 2));

        Assert.Equal("RB-T01", inside.GetProperty("asset").GetProperty("code").GetString());
        Assert.Equal(0, inside.GetProperty("distanceMetres").GetDouble());
        Assert.Equal("verified", inside.GetProperty("status").GetString());
        Assert.InRange(outside.GetProperty("distanceMetres").GetDouble(), 19, 21);
        Assert.Equal("verified", outside.GetProperty("status").GetString());
    }
}
