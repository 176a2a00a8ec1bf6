class OrdersController < ApplicationController
  def show
    order = Order.find_by!(number: params[:id])
    render json: { number: order.number, status: order.status, total_cents: order.total_cents }
  end

  def create
    order = Order.create!(order_params.merge(number: SecureRandom.hex(5).upcase))
    render json: { number: order.number }, status: :created
  end

  private

  def order_params
    params.require(:order).permit(:email, line_items_attributes: %i[sku quantity unit_price_cents])
  end
end
