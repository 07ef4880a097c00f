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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
