namespace Paju.Field.Server.Seeding;

/// <summary>
/// Representative points of Paju's 20 읍면동 (KOSTAT SGIS via vuski/admdongkor, CC BY 4.0) with a
/// rough weight for how many playgrounds a unit has: apartment districts (운정, 교하, 금촌) far
/// more than the rural 면. Sample data is scattered around these so it lands where people live.
/// </summary>
internal static class RepresentativePoints
{
    /// <param name="Spread">How far sample sites scatter, in metres (one sigma). Units by the city edge
    /// (운정4동 borders Goyang) get less, so no sample site falls outside Paju.</param>
    internal sealed record Unit(string Name, string Code, double Lat, double Lon, string Type, int PlaygroundWeight, double Spread);

    public static readonly IReadOnlyList<Unit> All =
    [
        new("문산읍", "4148025000", 37.87289, 126.77797, "eup", 45, 700),
        new("파주읍", "4148025300", 37.82896, 126.81899, "eup", 12, 700),
        new("법원읍", "4148025600", 37.87105, 126.89629, "eup", 10, 700),
        new("조리읍", "4148026200", 37.75262, 126.82566, "eup", 28, 700),
        new("월롱면", "4148031000", 37.79989, 126.77891, "myeon", 10, 700),
        new("탄현면", "4148032000", 37.80028, 126.70607, "myeon", 12, 700),
        new("광탄면", "4148035000", 37.77242, 126.88874, "myeon", 8, 700),
        new("파평면", "4148036000", 37.91399, 126.85287, "myeon", 5, 700),
        new("적성면", "4148037000", 37.94658, 126.92516, "myeon", 7, 700),
        new("장단면", "4148039000", 37.87425, 126.70967, "myeon", 1, 700),
        new("금촌1동", "4148051000", 37.75995, 126.78162, "dong", 18, 450),
        new("금촌2동", "4148052000", 37.75306, 126.77365, "dong", 30, 450),
        new("금촌3동", "4148053000", 37.77971, 126.74889, "dong", 15, 450),
        new("교하동", "4148054000", 37.72745, 126.70649, "dong", 45, 450),
        new("운정1동", "4148055000", 37.72859, 126.77364, "dong", 40, 450),
        new("운정2동", "4148056000", 37.72683, 126.74089, "dong", 30, 450),
        new("운정3동", "4148057000", 37.71443, 126.75204, "dong", 45, 450),
        new("운정4동", "4148058000", 37.72607, 126.78040, "dong", 35, 200),
        new("운정5동", "4148059000", 37.73195, 126.71918, "dong", 40, 450),
        new("운정6동", "4148060000", 37.72026, 126.72836, "dong", 30, 450),
    ];

    public static Unit Named(string name) => All.Single(u => u.Name == name);
}
