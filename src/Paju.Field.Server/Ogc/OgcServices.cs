namespace Paju.Field.Server.Ogc;

public static class OgcServices
{
    /// <summary>numberMatched counts, cached per registry revision.</summary>
    public static IServiceCollection AddOgc(this IServiceCollection services) => services.AddSingleton<CountCache>();
}
