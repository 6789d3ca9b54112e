using Microsoft.Extensions.DependencyInjection.Extensions;
using Paju.Field.Server.Hosting;

namespace Paju.Field.Server.Tags;

public static class TagServices
{
    /// <summary>Tag keys and check-in verification: the server and `paju ingest` workers verify the same way.</summary>
    public static IServiceCollection AddCheckInVerification(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(CheckInVerifier)))
        {
            return services;
        }
        services.AddPajuOptions<TagOptions>(configuration);
        services.TryAddSingleton(sp => TagKeyStore.From(sp.GetRequiredService<TagOptions>(), configuration.ReadPajuOptions<PajuOptions>().DataDirectory));
        services.AddSingleton<CheckInVerifier>();
        return services;
    }

    /// <summary>The plates' public pages, cached per server and cleared by the database's change notifications.</summary>
    public static IServiceCollection AddPublicPages(this IServiceCollection services)
    {
        services.AddSingleton<PublicPageCache>();
        services.AddHostedService<PublicPageInvalidator>();
        return services;
    }

    public static void MapTags(this WebApplication app)
    {
        app.MapCheckIns();
        app.MapTagPage();
    }
}
