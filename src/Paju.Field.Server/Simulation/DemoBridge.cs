using Paju.Field.Bridge.Config;
using Paju.Field.Modbus;
using Paju.Field.Server.Simulation;

namespace Paju.Field.Server.Simulation;

/// <summary>The demo's bridge configuration: firmware-bridge/config/ulgok.sample.json with the demo's ptys and secrets.</summary>
public static class DemoBridge
{
    public static BridgeConfig Config(string broker, string ps1Port, string ps2Port, int baud, IReadOnlyDictionary<string, string> secrets, string statusFile) => new()
    {
        Mqtt = new MqttSettings { Endpoint = broker },
        StatusFile = statusFile,
        Queue = new QueueSettings { Directory = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(statusFile))!, "bridge-queue") },
        Lines =
        [
            new LineConfig
            {
                Name = "ulgok-ps1-rs485",
                Serial = new SerialSettings { Port = ps1Port, Baud = baud },
                Slaves = [new SlaveConfig { Id = ModbusStationSimulator.MainSlave, Model = UlgokRegisterMaps.MainModel, Site = "ulgok-ps1", Device = "ulgok-ps1-plc", Secret = secrets["ulgok-ps1-plc"] }],
            },
            new LineConfig
            {
                Name = "ulgok-ps2-rs485",
                Serial = new SerialSettings { Port = ps2Port, Baud = baud },
                Slaves = [new SlaveConfig { Id = ModbusStationSimulator.TankSlave, Model = UlgokRegisterMaps.TankModel, Site = "ulgok-ps2", Device = "ulgok-ps2-plc", Secret = secrets["ulgok-ps2-plc"] }],
            },
        ],
        Models = new Dictionary<string, RegisterMap> { [UlgokRegisterMaps.MainModel] = UlgokRegisterMaps.Main, [UlgokRegisterMaps.TankModel] = UlgokRegisterMaps.Tank },
    };
}
