using System.Text;

namespace Paju.Field.Tests.Harness;

/// <summary>
/// A minimal reader of Mapbox Vector Tiles (the protobuf of vector_tile.proto, MVT 2.1), so tests
/// can check the encoded geometry commands themselves, not only what a decoder makes of them.
/// </summary>
public static class MvtReader
{
    public sealed record Feature(ulong? Id, int Type, IReadOnlyList<uint> Geometry, IReadOnlyDictionary<string, object> Properties);

    public sealed record Layer(string Name, uint Version, uint Extent, IReadOnlyList<Feature> Features);

    /// <summary>The tile coordinates of a point feature (MoveTo 1, zigzag-encoded x and y).</summary>
    public static (long X, long Y)? PointOf(Feature feature) =>
        feature.Type == 1 && feature.Geometry.Count == 3 && feature.Geometry[0] == 9
            ? (Unzigzag(feature.Geometry[1]), Unzigzag(feature.Geometry[2]))
            : null;

    public static long Unzigzag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    public static IReadOnlyList<Layer> Read(byte[] tile)
    {
        var layers = new List<Layer>();
        var r = new Reader(tile);
        while (!r.End)
        {
            var (field, wire) = r.Key();
            if (field == 3 && wire == 2)
            {
                layers.Add(ReadLayer(r.Bytes()));
            }
            else
            {
                r.Skip(wire);
            }
        }
        return layers;
    }

    private static Layer ReadLayer(byte[] bytes)
    {
        var r = new Reader(bytes);
        string name = "";
        uint version = 1, extent = 4096;
        var keys = new List<string>();
        var values = new List<object>();
        var raw = new List<(ulong? Id, int Type, List<uint> Tags, List<uint> Geometry)>();
        while (!r.End)
        {
            var (field, wire) = r.Key();
            switch (field)
            {
                case 1: name = Encoding.UTF8.GetString(r.Bytes()); break;
                case 2: raw.Add(ReadFeature(r.Bytes())); break;
                case 3: keys.Add(Encoding.UTF8.GetString(r.Bytes())); break;
                case 4: values.Add(ReadValue(r.Bytes())); break;
                case 5: extent = (uint)r.Varint(); break;
                case 15: version = (uint)r.Varint(); break;
                default: r.Skip(wire); break;
            }
        }
        var features = raw.Select(f =>
        {
            var props = new Dictionary<string, object>();
            for (var i = 0; i + 1 < f.Tags.Count; i += 2)
            {
                props[keys[(int)f.Tags[i]]] = values[(int)f.Tags[i + 1]];
            }
            return new Feature(f.Id, f.Type, f.Geometry, props);
        }).ToList();
        return new Layer(name, version, extent, features);
    }

    private static (ulong?, int, List<uint>, List<uint>) ReadFeature(byte[] bytes)
    {
        var r = new Reader(bytes);
        ulong? id = null;
        var type = 0;
        List<uint> tags = [], geometry = [];
        while (!r.End)
        {
            var (field, wire) = r.Key();
            switch (field)
            {
                case 1: id = r.Varint(); break;
                case 2: tags = Packed(r.Bytes()); break;
                case 3: type = (int)r.Varint(); break;
                case 4: geometry = Packed(r.Bytes()); break;
                default: r.Skip(wire); break;
            }
        }
        return (id, type, tags, geometry);
    }

    private static object ReadValue(byte[] bytes)
    {
        var r = new Reader(bytes);
        var (field, _) = r.Key();
        return field switch
        {
            1 => Encoding.UTF8.GetString(r.Bytes()),
            2 => BitConverter.ToSingle(r.Fixed(4)),
            3 => BitConverter.ToDouble(r.Fixed(8)),
            4 => (long)r.Varint(),
            5 => (long)r.Varint(),
            6 => Unzigzag(r.Varint()),
            7 => r.Varint() != 0,
            _ => throw new InvalidDataException($"unknown value field {field}"),
        };
    }

    private static List<uint> Packed(byte[] bytes)
    {
        var r = new Reader(bytes);
        var list = new List<uint>();
        while (!r.End)
        {
            list.Add((uint)r.Varint());
        }
        return list;
    }

    private sealed class Reader(byte[] data)
    {
        private int _at;

        public bool End => _at >= data.Length;

        public (int Field, int Wire) Key()
        {
            var key = Varint();
            return ((int)(key >> 3), (int)(key & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = data[_at++];
                value |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }
        }

        public byte[] Bytes()
        {
            var length = (int)Varint();
            var bytes = data.AsSpan(_at, length).ToArray();
            _at += length;
            return bytes;
        }

        public byte[] Fixed(int length)
        {
            var bytes = data.AsSpan(_at, length).ToArray();
            _at += length;
            return bytes;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _at += 8; break;
                case 2: _at += (int)Varint(); break;
                case 5: _at += 4; break;
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }
    }
}
