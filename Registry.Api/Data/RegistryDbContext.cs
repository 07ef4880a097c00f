using System.Text;
using Microsoft.EntityFrameworkCore;

namespace MlOps.Registry.Api.Data;

public sealed class RegistryDbContext(DbContextOptions<RegistryDbContext> options) : DbContext(options)
{
    public DbSet<ExperimentEntity> Experiments => Set<ExperimentEntity>();
    public DbSet<RunEntity> Runs => Set<RunEntity>();
    public DbSet<RunParamEntity> RunParams => Set<RunParamEntity>();
    public DbSet<RunTagEntity> RunTags => Set<RunTagEntity>();
    public DbSet<MetricChunkEntity> MetricChunks => Set<MetricChunkEntity>();
    public DbSet<LatestMetricEntity> LatestMetrics => Set<LatestMetricEntity>();
    public DbSet<DatasetEntity> Datasets => Set<DatasetEntity>();
    public DbSet<DatasetVersionEntity> DatasetVersions => Set<DatasetVersionEntity>();
    public DbSet<ModelEntity> Models => Set<ModelEntity>();
    public DbSet<ModelVersionEntity> ModelVersions => Set<ModelVersionEntity>();
    public DbSet<ModelAliasEntity> ModelAliases => Set<ModelAliasEntity>();
    public DbSet<AliasHistoryEntity> AliasHistory => Set<AliasHistoryEntity>();
    public DbSet<JobEntity> Jobs => Set<JobEntity>();
    public DbSet<PredictionLogFileEntity> PredictionLogFiles => Set<PredictionLogFileEntity>();
    public DbSet<DatasetVersionLineageEntity> DatasetVersionLineage => Set<DatasetVersionLineageEntity>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<ExperimentEntity>(e =>
        {
            e.ToTable("experiments");
            e.HasIndex(x => x.Name).IsUnique();
            e.Property(x => x.TagsJson).HasColumnType("jsonb");
        });
        b.Entity<RunEntity>(e =>
        {
            e.ToTable("runs");
            // Newest-first pages (of one experiment, or of all) are index walks that stop after a page; id is the tiebreak.
            e.HasIndex(x => new { x.ExperimentId, x.StartedAt, x.Id });
            e.HasIndex(x => new { x.StartedAt, x.Id });
            e.HasOne<ExperimentEntity>().WithMany().HasForeignKey(x => x.ExperimentId);
        });
        b.Entity<RunParamEntity>(e =>
        {
            e.ToTable("run_params");
            e.HasKey(x => new { x.RunId, x.Key });
            e.HasOne<RunEntity>().WithMany().HasForeignKey(x => x.RunId);
        });
        b.Entity<RunTagEntity>(e =>
        {
            e.ToTable("run_tags");
            e.HasKey(x => new { x.RunId, x.Key });
            e.HasOne<RunEntity>().WithMany().HasForeignKey(x => x.RunId);
        });
        b.Entity<MetricChunkEntity>(e =>
        {
            // No foreign key: ingestion checks the run once per batch.
            e.ToTable("metric_chunks");
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.HasIndex(x => new { x.RunId, x.Key });
            // A history page walks a key's chunks in step order and skips those wholly before afterStep on the index alone.
            e.HasIndex(x => new { x.RunId, x.Key, x.MinStep }).IncludeProperties(x => x.MaxStep);
        });
        b.Entity<LatestMetricEntity>(e =>
        {
            e.ToTable("latest_metrics");
            e.HasKey(x => new { x.RunId, x.Key });
            // Sorting runs by a metric walks this index in (value, run id) order; filters on a metric range use it too.
            e.HasIndex(x => new { x.Key, x.Value, x.RunId });
        });
        b.Entity<DatasetEntity>(e =>
        {
            e.ToTable("datasets");
            e.HasIndex(x => x.Name).IsUnique();
        });
        b.Entity<DatasetVersionEntity>(e =>
        {
            e.ToTable("dataset_versions");
            e.HasIndex(x => new { x.DatasetId, x.Version }).IsUnique();
            e.HasIndex(x => new { x.DatasetId, x.Sha256 }).IsUnique();
            e.Property(x => x.ColumnsJson).HasColumnType("jsonb");
            e.HasOne<DatasetEntity>().WithMany().HasForeignKey(x => x.DatasetId);
        });
        b.Entity<ModelEntity>(e =>
        {
            e.ToTable("models");
            e.HasIndex(x => x.Name).IsUnique();
        });
        b.Entity<ModelVersionEntity>(e =>
        {
            e.ToTable("model_versions");
            e.HasIndex(x => new { x.ModelId, x.Version }).IsUnique();
            e.Property(x => x.InputSchemaJson).HasColumnType("jsonb");
            e.Property(x => x.MetricsJson).HasColumnType("jsonb");
            e.Property(x => x.TagsJson).HasColumnType("jsonb");
            e.HasOne<ModelEntity>().WithMany().HasForeignKey(x => x.ModelId);
        });
        b.Entity<ModelAliasEntity>(e =>
        {
            e.ToTable("model_aliases");
            e.HasKey(x => new { x.ModelId, x.Alias });
            e.HasOne<ModelEntity>().WithMany().HasForeignKey(x => x.ModelId);
        });
        b.Entity<AliasHistoryEntity>(e =>
        {
            e.ToTable("alias_history");
            e.Property(x => x.Id).UseIdentityAlwaysColumn();
            e.HasIndex(x => new { x.ModelId, x.Alias, x.Id });
            e.HasOne<ModelEntity>().WithMany().HasForeignKey(x => x.ModelId);
        });
        b.Entity<JobEntity>(e =>
        {
            e.ToTable("jobs");
            e.Property(x => x.SpecJson).HasColumnType("jsonb");
            e.HasIndex(x => new { x.Status, x.CreatedAt });
            e.HasIndex(x => x.IdempotencyKey).IsUnique();
        });
        b.Entity<PredictionLogFileEntity>(e =>
        {
            e.ToTable("prediction_log_files");
            e.HasIndex(x => x.Key).IsUnique();
            // Listing and materialisation walk one model's files of one kind in id (= time) order; retention by max_ts.
            e.HasIndex(x => new { x.Model, x.Kind, x.Id });
            e.HasIndex(x => x.MaxTs);
        });
        b.Entity<DatasetVersionLineageEntity>(e =>
        {
            e.ToTable("dataset_version_lineage");
            e.HasKey(x => x.DatasetVersionId);
            e.Property(x => x.LineageJson).HasColumnType("jsonb");
            e.HasOne<DatasetVersionEntity>().WithOne().HasForeignKey<DatasetVersionLineageEntity>(x => x.DatasetVersionId);
        });

        // snake_case names everywhere, so the hand-written SQL (COPY, SKIP LOCKED, search) reads naturally.
        foreach (var entity in b.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    sb.Append('_');
                }
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
