using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MlOps.Registry.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class ScaleIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_runs_experiment_id_started_at",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_latest_metrics_key_value",
                table: "latest_metrics");

            migrationBuilder.CreateIndex(
                name: "IX_runs_experiment_id_started_at_id",
                table: "runs",
                columns: new[] { "experiment_id", "started_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_runs_started_at_id",
                table: "runs",
                columns: new[] { "started_at", "id" });

            migrationBuilder.CreateIndex(
                name: "IX_latest_metrics_key_value_run_id",
                table: "latest_metrics",
                columns: new[] { "key", "value", "run_id" });

            // Planner statistics, no model change: key and value are correlated (learningRate = 0.1 matches a quarter
            // of the runs, not 1/6 x 4 %), so without them filtered searches were estimated to match a few hundred runs
            // and were hashed and sorted whole instead of walking the started_at index (bench/scale/README-registry.md).
            migrationBuilder.Sql("""
                CREATE STATISTICS IF NOT EXISTS run_params_key_value ON key, value FROM run_params;
                CREATE STATISTICS IF NOT EXISTS run_tags_key_value ON key, value FROM run_tags;
                CREATE STATISTICS IF NOT EXISTS latest_metrics_key_value ON key, value FROM latest_metrics;
                ANALYZE run_params, run_tags, latest_metrics;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP STATISTICS IF EXISTS run_params_key_value;
                DROP STATISTICS IF EXISTS run_tags_key_value;
                DROP STATISTICS IF EXISTS latest_metrics_key_value;
                """);

            migrationBuilder.DropIndex(
                name: "IX_runs_experiment_id_started_at_id",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_runs_started_at_id",
                table: "runs");

            migrationBuilder.DropIndex(
                name: "IX_latest_metrics_key_value_run_id",
                table: "latest_metrics");

            migrationBuilder.CreateIndex(
                name: "IX_runs_experiment_id_started_at",
                table: "runs",
                columns: new[] { "experiment_id", "started_at" });

            migrationBuilder.CreateIndex(
                name: "IX_latest_metrics_key_value",
                table: "latest_metrics",
                columns: new[] { "key", "value" });
        }
    }
}
