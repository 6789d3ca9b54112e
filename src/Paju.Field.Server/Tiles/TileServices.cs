using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Tiles;

public static class TileServices
{
    /// <summary>The renderer, the in-memory cache and the invalidator that evicts exactly where the registry changed.</summary>
    public static IServiceCollection AddTiles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPajuOptions<TileOptions>(configuration);
        services.AddSingleton<TileCache>();
        services.AddSingleton<TileRenderer>();
        services.AddHostedService<TileInvalidator>();
        return services;
    }
}
