using System.Text;
using Paju.Field.Server.Live;

namespace Paju.Field.Tests.Live;

/// <summary>The live log keeps JSON as it came (json, not jsonb): a payload written over lines still makes one SSE data line.</summary>
public sealed class LiveEventTests
{
    [Fact]
    public void A_payload_written_over_several_lines_is_sent_as_one_data_line()
    {
        var sse = Encoding.UTF8.GetString(LiveEvent.Of(7, "state", "{\r\n  \"devices\": [\n    {\"device\": \"a\\nb\"}\n  ]\n}").Sse);

        Assert.Equal("id: 7\nevent: state\ndata: {    \"devices\": [     {\"device\": \"a\\nb\"}   ] }\n\n", sse);
        var data = sse.Split('\n').Single(line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
        Assert.Equal("a\nb", System.Text.Json.JsonDocument.Parse(data).RootElement.GetProperty("devices")[0].GetProperty("device").GetString());
    }
}
