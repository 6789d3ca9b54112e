using System.ComponentModel.DataAnnotations;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Inspections;

/// <summary>The "Paju:Inspections" section.</summary>
public sealed class InspectionOptions : IPajuOptions
{
    public static string Section => "Paju:Inspections";

    /// <summary>Where photos are kept (content-addressed). Empty: photos/ under the data directory. Several servers share one volume.</summary>
    [MaxLength(4096)]
    public string? PhotoDirectory { get; set; }

    public string PhotoRoot(string dataDirectory) =>
        string.IsNullOrWhiteSpace(PhotoDirectory) ? Path.Combine(Path.GetFullPath(dataDirectory), "photos") : Path.GetFullPath(PhotoDirectory);
}

public static class InspectionServices
{
    public static IServiceCollection AddInspections(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPajuOptions<InspectionOptions>(configuration);
        services.AddSingleton<IPhotoStore>(sp => new FileSystemPhotoStore(
            sp.GetRequiredService<InspectionOptions>().PhotoRoot(configuration.ReadPajuOptions<PajuOptions>().DataDirectory)));
        return services;
    }

    public static void MapInspectionApi(this WebApplication app)
    {
        app.MapPrograms();
        app.MapNearbyAssets();
        app.MapFieldAssets();
        app.MapInspections();
    }
}
